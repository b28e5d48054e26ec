"""Signing in, passwords and sessions.  Plain functions: no request, no current_user."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from ..audit.services import record
from ..extensions import db
from ..phones import normalize_phone
from ..security import hash_password, needs_rehash, verify_password
from ..time import now_utc
from .models import User

#: Letters and digits that cannot be confused when read aloud or off a screen.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def find_by_login(login: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == login.lower()))
    if user is not None:
        return user
    for region in ("KG", "KZ"):
        phone = normalize_phone(login, region)
        if phone:
            user = db.session.scalar(sa.select(User).where(User.phone == phone))
            if user is not None:
                return user
    return None


def authenticate(login: str, password: str) -> User | None:
    """The user if the password is right and the account enabled, else None."""
    user = find_by_login(login)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_enabled:
        record(user, None, "auth.login_failed", user, detail=(login or "")[:40])
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_dt = now_utc()
    record(user, None, "auth.login", user)
    return user


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the cookie holds `id:session_token`; a new token ends it."""
    ident, _, token = (user_id or "").partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_enabled or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def set_password(actor: User, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.end_all_sessions()
    record(actor, None, "auth.password_changed", user)


def reset_password(actor: User, school, user: User) -> str:
    """A one-time password, to be shown once; it must be changed at first sign-in."""
    otp = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(10))
    user.password_hash = hash_password(otp)
    user.must_change_password = True
    user.end_all_sessions()
    record(actor, school, "staff.password_reset", user)
    return otp


def sign_out_everywhere(user: User) -> None:
    user.end_all_sessions()
    record(user, None, "auth.logout", user)
