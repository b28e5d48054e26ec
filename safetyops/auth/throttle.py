"""Sign-in throttling: the *account* is counted, not the string typed, and a stranger's wrong
passwords cannot keep the owner out.

The account is the login normalised (`services.normalize_login`): every spelling of a phone number
is its E.164 form, a username is trimmed and lower-cased; a login of no account is counted the same
way.  Only wrong passwords count (`mark_failed`), all in Flask-Limiter's storage (in memory for one
process, Redis shared by every worker):

* per client address, any account — ``LOGIN_LIMIT_PER_ADDRESS`` (a hard limit);
* per account and client address — ``LOGIN_LIMIT_PER_ACCOUNT_ADDRESS`` (a hard limit, tight);
* per account from every address — no lockout: after ``LOGIN_LIMIT_ACCOUNT_FREE_FAILURES``
  consecutive failures each further one makes the next attempt wait, ``LOGIN_LIMIT_ACCOUNT_DELAY``
  seconds at first, doubling up to ``LOGIN_LIMIT_ACCOUNT_MAX_DELAY``.  A successful sign-in, or a day
  without failures, starts the count again.

A browser in which the account signed in before carries a signed cookie naming it (OWASP's "device
cookies"): there the three budgets above do not apply, only its own, ``LOGIN_LIMIT_PER_ACCOUNT_ADDRESS``
per account and device.  So a stranger guessing from elsewhere, even behind the school's own address,
cannot stop a guard signing in on the gate phone at shift change.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import limiter
from .services import normalize_login

DEVICE_COOKIE = "signin_device"
_DEVICE_SALT = "safetyops.signin-device"
#: Accounts a device remembers (a shared gate phone serves a few guards).
DEVICE_ACCOUNTS = 8
DEVICE_DAYS = 365
#: Consecutive failures of an account are forgotten a day after the first of them.
FAILURES_KEPT_SECONDS = 86400


def _login_field() -> str:
    return request.form.get("login", "")


def account() -> str:
    """The account the submitted login names (cached for the request)."""
    if "signin_account" not in g:
        g.signin_account = normalize_login(_login_field())
    return g.signin_account


def client_address() -> str:
    return get_remote_address() or "-"


# --- devices where an account signed in before -------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_DEVICE_SALT)


def _digest(account_key: str) -> str:
    """The cookie names accounts by a keyed digest: readable, it would list the phone's users."""
    return hmac.new(str(current_app.secret_key).encode(), account_key.encode(), hashlib.sha256).hexdigest()[:24]


def _device() -> dict | None:
    if "signin_device" not in g:
        data = None
        raw = request.cookies.get(DEVICE_COOKIE)
        if raw:
            try:
                data = _serializer().loads(raw)
            except BadSignature:
                data = None
            if not (isinstance(data, dict) and isinstance(data.get("n"), str) and isinstance(data.get("a"), list)):
                data = None
        g.signin_device = data
    return g.signin_device


def known_device(account_key: str | None = None) -> bool:
    """Did the account sign in on this browser before?"""
    device = _device()
    return device is not None and _digest(account_key if account_key is not None else account()) in device["a"]


def unknown_device() -> bool:
    return not known_device()


def remember_device(response, account_keys) -> None:
    """After a successful sign-in: this browser now knows the account (under each of its logins)."""
    device = _device() or {"n": secrets.token_urlsafe(12), "a": []}
    fresh = [_digest(k) for k in dict.fromkeys(account_keys) if k]
    kept = (fresh + [d for d in device["a"] if d not in fresh])[: DEVICE_ACCOUNTS * 2]
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps({"n": device["n"], "a": kept}),
                        max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]) or request.is_secure)


# --- Flask-Limiter key functions and deduction --------------------------------------------------------


def address_key() -> str:
    return "signin-address:" + client_address()


def account_address_key() -> str:
    return f"signin-account-address:{account()}|{client_address()}"


def account_device_key() -> str:
    device = _device()
    return f"signin-account-device:{account()}|{device['n'] if device else '-'}"


def mark_failed() -> None:
    """This request checked a password and it was wrong: the limits count it."""
    g.signin_failed = True


def counts(_response) -> bool:
    return bool(g.get("signin_failed"))


# --- the per-account delay ----------------------------------------------------------------------------


def _key(kind: str, account_key: str) -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}/signin-{kind}/{account_key}"


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` consecutive failures (0 while they are free)."""
    cfg = current_app.config
    extra = failures - int(cfg["LOGIN_LIMIT_ACCOUNT_FREE_FAILURES"])
    if extra < 0:
        return 0
    return int(min(cfg["LOGIN_LIMIT_ACCOUNT_DELAY"] * 2 ** min(extra, 32), cfg["LOGIN_LIMIT_ACCOUNT_MAX_DELAY"]))


def wait_seconds(account_key: str) -> int:
    """Seconds before this browser may try a password on the account (0: now)."""
    if known_device(account_key):
        return 0
    storage = limiter.storage
    key = _key("wait", account_key)
    if storage.get(key) <= 0:
        return 0
    return max(1, math.ceil(storage.get_expiry(key) - time.time()))


def failed(account_key: str) -> None:
    """A wrong password: from a browser the account does not know, the delay grows."""
    mark_failed()
    if known_device(account_key):
        return
    storage = limiter.storage
    failures = storage.incr(_key("failures", account_key), FAILURES_KEPT_SECONDS)
    delay = delay_after(failures)
    if delay:
        wait = _key("wait", account_key)
        storage.clear(wait)
        storage.incr(wait, delay)


def succeeded(account_key: str) -> None:
    storage = limiter.storage
    storage.clear(_key("failures", account_key))
    storage.clear(_key("wait", account_key))
