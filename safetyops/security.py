"""Passwords (argon2id), the session cookie and the security headers."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


_DUMMY_HASH: dict[tuple, str] = {}


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists."""
    ph = _hasher()
    if stored_hash is None:
        key = (ph.time_cost, ph.memory_cost, ph.parallelism)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = ph.hash("not a password")
        stored_hash, password = _DUMMY_HASH[key], "wrong" + password
    try:
        return ph.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


#: Endpoints that never refresh the session cookie.
COOKIELESS = ("static", "dashboard.manifest", "dashboard.favicon")
#: Sent by the service worker on the pages it fetches ahead for offline use ("warm").
WARM_HEADER = "X-SafetyOps-Warm"


def is_background() -> bool:
    """A request the page's scripts or the service worker make on their own (a poll, a search, the
    list of offline pages, a page fetched ahead), not a page the person opened."""
    if request.headers.get(WARM_HEADER):
        return True
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode != "navigate"
    return request.accept_mimetypes.best == "application/json"


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (request and request.is_secure)

    def should_set_cookie(self, app, session):
        """A static file, the manifest and the favicon never send the cookie again (its 12-hour
        refresh rides on the pages): about 400 bytes less on each CSS, script and icon of a
        phone's first load (issue 12).  Nor does a background request that changed nothing (the
        alarm's poll every 5 s, the board's, a page the service worker fetches ahead): one that
        started before a form's answer and ended after it would put back the cookie it was sent,
        without the message the form had just flashed ("Saved." lost under load, seen in a
        browser test)."""
        if request and not session.modified and (request.endpoint in COOKIELESS or is_background()):
            return False
        return super().should_set_cookie(app, session)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"
)


#: Static files and the manifest are never a document: the policies of a page (CSP, frames,
#: permissions) do not apply to them, so they go without those headers, about 400 bytes less on
#: each of a phone's first requests (issue 12).  SVG stays a document (it can be opened as one);
#: the service worker (/sw.js, not a static file) keeps its CSP, which governs it.
NOT_DOCUMENTS = ("text/css", "text/javascript", "application/javascript", "image/png", "image/x-icon",
                 "image/vnd.microsoft.icon", "application/manifest+json")


def set_headers(response):
    h = response.headers
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    if request.endpoint not in ("static", "dashboard.manifest") or response.mimetype not in NOT_DOCUMENTS:
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Frame-Options"] = "DENY"
        h.setdefault("Permissions-Policy", "geolocation=(), microphone=()")
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if current_user and current_user.is_authenticated and request.endpoint != "static":
        h["Cache-Control"] = "no-store"
    return response
