"""Error pages in the person's language; never a bare 500."""

from __future__ import annotations

from flask import jsonify, render_template, request
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


def _render(code: int, message=None):
    title, text = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify({"error": code, "message": str(message or text)}), code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


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

    @app.errorhandler(Exception)
    def _crash(err):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        try:
            from .extensions import db

            db.session.rollback()
        except Exception:  # noqa: BLE001 - the page must render whatever happened
            pass
        return _render(500)
