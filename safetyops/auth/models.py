"""Staff accounts."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import intpk
from ..time import now_utc


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[intpk]
    #: Full name as it appears on orders and rosters.
    full_name: Mapped[str] = mapped_column(sa.String(200))
    #: Sign-in name, stored lower-case.
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Mobile number in E.164 (+996…, +7…); a second way to sign in.
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    #: Interface and SMS language: ky, ru, kk or en.
    locale: Mapped[str] = mapped_column(sa.String(5), default="ky")
    #: argon2id hash (PHC string).
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: A one-time password was set by the director: change it at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: When the password was last set; a one-time password expires ONE_TIME_PASSWORD_HOURS after it.
    password_set_dt: Mapped[dt.datetime | None] = mapped_column(default=now_utc)
    #: Deactivated accounts cannot sign in and lose every session.
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Part of the session cookie; a new value ends every session of this person.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    #: When the account was made.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Last successful sign-in.
    last_login_dt: Mapped[dt.datetime | None]

    memberships: Mapped[list[Membership]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan"
    )
    district_memberships: Mapped[list[DistrictMembership]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    @property
    def display_name(self) -> str:
        return self.full_name

    def __repr__(self) -> str:
        return f"<User {self.username}>"

