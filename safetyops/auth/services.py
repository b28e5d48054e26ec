"""Signing in, passwords and sessions.  Plain functions: no request, no current_user.

Password hashing (argon2id, tens of milliseconds and 64 MiB) never runs inside a database
transaction: on SQLite an open transaction holds a lock every other request waits behind.  So
signing in is three steps the view runs in turn: `sign_in_attempt` reads what the check needs
(the view then ends the transaction), `check_password` hashes with no transaction open, and
`finish_sign_in` writes the outcome in a short transaction.  New passwords are hashed before the
session is touched (`new_password_hash`, `new_one_time_password`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import secrets
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ..audit.services import record
from ..extensions import db
from ..phones import normalize_phone_any
from ..security import hash_password, needs_rehash, verify_password
from ..time import now_utc
from .models import User

#: Letters and digits that cannot be confused when read aloud or off a screen.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: Longest login kept (the form allows 64 characters).
_LOGIN_MAX = 64


def _clean_login(login: str | None) -> str:
    return unicodedata.normalize("NFKC", login or "").strip()[:_LOGIN_MAX]


def normalize_login(login: str | None) -> str:
    """The account a login names, whatever its spelling: a phone number as E.164
    ("0555 123 456", "996-555-12-34-56" and "+996 (555) 123456" are all "+996555123456"),
    anything else as a username (trimmed, lower-case).  Also for logins of no account."""
    text = _clean_login(login)
    return normalize_phone_any(text) or text.lower()


def find_by_login(login: str) -> User | None:
    text = _clean_login(login)
    if not text:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == text.lower()))
    if user is not None:
        return user
    phone = normalize_phone_any(text)
    if phone:
        return db.session.scalar(sa.select(User).where(User.phone == phone))
    return None


class SignIn(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    #: The right one-time password, but issued too long ago.
    OTP_EXPIRED = "otp_expired"


@dataclass(frozen=True)
class Attempt:
    """What checking a password needs, read before the hashing (no ORM object: it would reload)."""

    login: str
    user_id: int | None
    password_hash: str | None
    is_enabled: bool = False
    otp_expired: bool = False
    #: Set by `check_password`.
    ok: bool = False
    #: A hash with today's parameters, when the stored one is weaker (made outside the transaction).
    new_hash: str | None = None


def otp_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["ONE_TIME_PASSWORD_HOURS"])


def one_time_password_expired(user: User, now: dt.datetime | None = None) -> bool:
    """A one-time password not yet changed, issued more than ONE_TIME_PASSWORD_HOURS ago."""
    if not user.must_change_password or user.password_set_dt is None:
        return False
    return (now or now_utc()) - user.password_set_dt > otp_lifetime()


def sign_in_attempt(login: str) -> Attempt:
    """Step 1 (reads): the account a login names.  The caller ends the transaction next."""
    user = find_by_login(login)
    if user is None:
        return Attempt(login=login, user_id=None, password_hash=None)
    return Attempt(login=login, user_id=user.id, password_hash=user.password_hash, is_enabled=user.is_enabled,
                   otp_expired=one_time_password_expired(user))


def check_password(attempt: Attempt, password: str) -> Attempt:
    """Step 2 (no database): verify, and rehash a weaker stored hash.  Constant work for unknown logins."""
    ok = verify_password(attempt.password_hash, password)
    new_hash = None
    if ok and attempt.password_hash and needs_rehash(attempt.password_hash):
        new_hash = hash_password(password)
    return dataclasses.replace(attempt, ok=ok, new_hash=new_hash)


def finish_sign_in(attempt: Attempt) -> tuple[SignIn, User | None]:
    """Step 3 (a short write): record the outcome; the user when they may sign in."""
    user = db.session.get(User, attempt.user_id) if attempt.user_id is not None else None
    # The account may have changed since step 1 (a new password, disabled): step 1's verdict stands
    # only for the hash it checked.
    current = user is not None and user.password_hash == attempt.password_hash
    if not (attempt.ok and current and user.is_enabled):
        record(user, None, "auth.login_failed", user, detail=attempt.login[:40])
        return SignIn.WRONG, None
    if one_time_password_expired(user):
        record(user, None, "auth.login_otp_expired", user)
        return SignIn.OTP_EXPIRED, None
    if attempt.new_hash:
        user.password_hash = attempt.new_hash
    user.last_login_dt = now_utc()
    record(user, None, "auth.login", user)
    return SignIn.OK, user


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the cookie holds `id:session_token`; a new token ends it."""
    ident, _, token = (user_id or "").partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_enabled or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def new_password_hash(password: str) -> str:
    """Hash a new password; call it before touching the session (no transaction open)."""
    return hash_password(password)


def set_password(actor: User, user: User, password_hash: str) -> None:
    """The person's own new password, hashed beforehand with `new_password_hash`."""
    if not password_hash.startswith("$argon2"):
        raise ValueError("set_password takes a hash made by new_password_hash, not a password")
    user.password_hash = password_hash
    user.must_change_password = False
    user.password_set_dt = now_utc()
    user.end_all_sessions()
    record(actor, None, "auth.password_changed", user)


@dataclass(frozen=True)
class OneTimePassword:
    password: str
    password_hash: str


def new_one_time_password() -> OneTimePassword:
    """A one-time password and its hash; make it before the transaction that stores it."""
    otp = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(10))
    return OneTimePassword(otp, hash_password(otp))


def reset_password(actor: User, school, user: User, otp: OneTimePassword | None = None) -> str:
    """A one-time password, to be shown once; it must be changed at first sign-in and expires
    ONE_TIME_PASSWORD_HOURS after it was issued.  Pass `otp` made by `new_one_time_password`
    before the transaction to keep the hashing out of it."""
    otp = otp or new_one_time_password()
    user.password_hash = otp.password_hash
    user.must_change_password = True
    user.password_set_dt = now_utc()
    user.end_all_sessions()
    record(actor, school, "staff.password_reset", user)
    return otp.password


def sign_out_everywhere(user: User) -> None:
    user.end_all_sessions()
    record(user, None, "auth.logout", user)
