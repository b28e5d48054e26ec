"""Request input refused in one place, before any view or query runs.

- A NUL character (U+0000) in a query string, a form field's name or value, an uploaded file's
  name, a URL argument or a JSON body: PostgreSQL refuses it inside a statement (a 500) and
  SQLite stores it silently, and no person types it.  Answered 400 on both databases.
- Errors raised before the school is known (an expired CSRF token, a body over the size
  limit) render their page without touching `g.school`: `g.school`/`g.role` exist (None)
  from the first moment of every request.

`init_app(app)` is called by `create_app` before the blueprints are registered (the bounded
`<int:...>` converter must exist when their rules are added).
"""

from __future__ import annotations

from flask import g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, HTTPException

from . import converters

NUL = "\x00"

#: Shown for a refused character (the page's title is the usual "Bad request").
NUL_MESSAGE = _l("What you sent contains a character that cannot be stored. Check what you typed and send it again.")


class ForbiddenCharacter(BadRequest):
    description = "NUL character in the request"


def init_app(app) -> None:
    converters.register(app)
    funcs = app.before_request_funcs.setdefault(None, [])
    # First of all (before Flask-WTF's CSRF check, Flask-Login and the school loader): whatever
    # fails next, the error page finds g.school and g.role.
    funcs.insert(0, _defaults)
    funcs.insert(1, refuse_nul)
    app.register_error_handler(ForbiddenCharacter, _forbidden_character)


def _defaults() -> None:
    g.school = None
    g.role = None


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _multidict_has_nul(md) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in md.lists())


def refuse_nul() -> None:
    """before_request: 400 when any part of the request a view may read holds a NUL."""
    if NUL in request.path or _multidict_has_nul(request.args):
        raise ForbiddenCharacter()
    if _has_nul(request.view_args or {}):
        raise ForbiddenCharacter()
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.is_json:
        if _has_nul(request.get_json(silent=True)):
            raise ForbiddenCharacter()
        return
    if _multidict_has_nul(request.form):
        raise ForbiddenCharacter()
    for key, storage in request.files.items(multi=True):
        if NUL in key or NUL in (storage.filename or ""):
            raise ForbiddenCharacter()


def _forbidden_character(err: HTTPException):
    return error_response(400, NUL_MESSAGE)


def error_response(code: int, message):
    """An error answer in the person's language: JSON for JSON requests, else the error page."""
    from .errors import MESSAGES

    title, text = MESSAGES.get(code, MESSAGES[400])
    text = message or text
    wants_json = (request.is_json or request.accept_mimetypes.best == "application/json"
                  or request.path.startswith("/api/"))
    if wants_json:
        return jsonify({"error": code, "message": str(text)}), code
    return render_template("errors/error.html", code=code, title=title, text=text), code
