"""Error pages in the person's language; never a bare 500."""

from __future__ import annotations

import re
import sqlite3

import sqlalchemy as sa
from flask import current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your role at this school does not give access to this page.")),
    404: (_l("Not found"), _l("This page or record does not exist, or it belongs to another school.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (_l("Too large"), _l("What you sent is too large. Photos must be under 8 MB.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("The error was recorded. Your data is safe; try again in a moment.")),
    503: (_l("Unavailable"), _l("The service is temporarily unavailable. Try again in a moment.")),
}


#: Seconds a phone waits before it sends again what the busy database refused.
RETRY_AFTER_S = 2
#: Fields never echoed back into a page, even to send the same form again.
_SECRET_FIELD = re.compile(r"pass|pin|secret|otp", re.IGNORECASE)


def wants_json() -> bool:
    return (request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/")
            or request.headers.get("X-Requested-With") == "fetch")


def _render(code: int, message=None, **extra):
    title, text = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if wants_json():
        return jsonify({"error": code, "message": str(message or text)}), code
    return render_template("errors/error.html", code=code, title=title, text=message or text, **extra), code


def _resend_fields() -> list[tuple[str, str]] | None:
    """The form just posted, to send again as it was (same client-made id), or None when it cannot be."""
    if request.method != "POST" or request.files or not request.form:
        return None
    if any(_SECRET_FIELD.search(name) for name in request.form):
        return None
    return list(request.form.items(multi=True))


def busy(err=None):
    """The database stayed locked for the whole busy timeout: 503, try again shortly (nothing was stored)."""
    from .database import reads_only_from_here
    from .extensions import db

    db.session.rollback()
    reads_only_from_here()  # the page below must not queue for the write lock again
    current_app.logger.warning("database busy (%s): 503 to %s %s", err, request.method, request.path)
    resend = _resend_fields()
    if resend is not None or wants_json():
        text = _l("The server is busy. What you sent is not saved yet: it is sent again in a moment.")
    elif request.method in ("GET", "HEAD"):
        text = None
    else:
        text = _l("The server is busy. What you sent was not saved: send it again in a moment.")
    response = make_response(_render(503, text, resend=resend, retry_after=RETRY_AFTER_S))
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(err):
        return _render(400, _l("The form expired or was sent from elsewhere. Reload the page and send it again."))

    @app.errorhandler(HTTPException)
    def _http(err):
        if err.code == 429 and request.endpoint == "auth.login":
            from .auth.views import login_throttled

            return login_throttled()
        return _render(err.code or 500)

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sqlite3.OperationalError)
    def _operational(err):
        from .database import is_lock_error

        if is_lock_error(err):
            try:
                return busy(err)
            except Exception:  # noqa: BLE001 - still locked while rendering: a bare 503 is better than a 500
                app.logger.exception("the busy page failed")
                return make_response(("", 503, {"Retry-After": str(RETRY_AFTER_S)}))
        return _crash(err)

    @app.errorhandler(Exception)
    def _crash(err):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        try:
            from .extensions import db

            db.session.rollback()
        except Exception:  # noqa: BLE001 - the page must render whatever happened
            pass
        return _render(500)
