"""Each school's SMS route: which gateway carries its SMS (console / twilio / smpp) and whether its
non-urgent texts go in Latin letters. The dispatcher asks `Picker` which gateway sends each message.

No row, or an empty gateway, means the server's SAFETYOPS_SMS_GATEWAY."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import intpk, school_fk
from ..time import now_utc
from .gateways import Gateway, build_gateway
from .smpp_gateway import smpp_configured

#: "" = the server's default (SAFETYOPS_SMS_GATEWAY).
ROUTES = ("", "console", "twilio", "smpp")

ROUTE_LABELS = {
    "": _l("The server's setting"),
    "console": _l("Nowhere (messages are only written to the server's log)"),
    "twilio": _l("Twilio (abroad)"),
    "smpp": _l("SMPP: the operator or aggregator in the country"),
}


class SmsRoute(db.Model):
    """A school's SMS route and Latin-letters switch (absent: the server's gateway, Cyrillic)."""

    __tablename__ = "sms_routes"

    id: Mapped[intpk]
    #: Owning school (one each).
    school_id: Mapped[int] = school_fk(unique=True)
    #: "" (the server's SAFETYOPS_SMS_GATEWAY), "console", "twilio" or "smpp".
    gateway: Mapped[str] = mapped_column(sa.String(20), default="")
    #: Non-urgent texts in Latin letters (GSM-7: 160 characters per SMS instead of 70).
    latin: Mapped[bool] = mapped_column(default=False)
    #: Last change.
    updated_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


def route_of(school_id: int | None) -> SmsRoute | None:
    if school_id is None:
        return None
    return db.session.scalar(sa.select(SmsRoute).where(SmsRoute.school_id == school_id))


def latin_for(school_id: int | None) -> bool:
    """Whether the school sends its non-urgent texts in Latin letters."""
    if school_id is None:
        return False
    return bool(db.session.scalar(sa.select(SmsRoute.latin).where(SmsRoute.school_id == school_id)))


def configured(name: str, settings) -> bool:
    """Whether the server has what gateway `name` needs."""
    if name == "smpp":
        return smpp_configured(settings)
    if name == "twilio":
        return bool(settings.get("TWILIO_ACCOUNT_SID") and settings.get("TWILIO_AUTH_TOKEN"))
    return True


def gateway_named(app: Flask, name: str | None) -> Gateway:
    """The gateway `name` ("" or None: the server's default), built once per app. Raises ValueError when
    it is not configured."""
    default = str(app.config["SMS_GATEWAY"]).strip().lower()
    name = (name or "").strip().lower() or default
    if name == default:  # the same instance as dispatcher.gateway()
        gw = app.extensions.get("safetyops_sms_gateway")
        if gw is None:
            gw = app.extensions["safetyops_sms_gateway"] = build_gateway(name, app.config)
        return gw
    built = app.extensions.setdefault("safetyops_sms_gateways", {})
    if name not in built:
        built[name] = build_gateway(name, app.config)
    return built[name]


class Picker:
    """Which gateway sends (or looks up) each message: `forced` when given (tests, `run_pass(gw=…)`), else
    the school's route, else the server's default."""

    def __init__(self, app: Flask, forced: Gateway | None = None) -> None:
        self.app = app
        self.forced = forced
        self.names: dict[int, str] = {}

    def load(self, message_ids: Iterable[int]) -> None:
        """Read the routes of these messages' schools (one query)."""
        from .models import OutboundMessage

        ids = list(message_ids)
        if self.forced is not None or not ids:
            return
        rows = db.session.execute(
            sa.select(OutboundMessage.id, SmsRoute.gateway)
            .join(SmsRoute, SmsRoute.school_id == OutboundMessage.school_id)
            .where(OutboundMessage.id.in_(ids))
        )
        self.names.update({mid: name for mid, name in rows if name})

    def name_for(self, message_id: int) -> str:
        if self.forced is not None:
            return getattr(self.forced, "name", "")
        return self.names.get(message_id) or str(self.app.config["SMS_GATEWAY"]).strip().lower()

    def for_message(self, message_id: int) -> Gateway:
        """Raises ValueError when the school's gateway is not configured on this server."""
        return self.forced or gateway_named(self.app, self.name_for(message_id))

    def for_name(self, name: str | None) -> Gateway | None:
        """A message's gateway by the name stored on it (None when it cannot be built here)."""
        if self.forced is not None:
            return self.forced
        try:
            return gateway_named(self.app, name)
        except ValueError:
            return None


def save_route(school_id: int, gateway: str, latin: bool) -> SmsRoute:
    """Set a school's route (no commit; the caller audits)."""
    if gateway not in ROUTES:
        raise ValueError(f"unknown SMS route {gateway!r}")
    row = route_of(school_id)
    if row is None:
        row = SmsRoute(school_id=school_id)
        db.session.add(row)
    row.gateway, row.latin, row.updated_dt = gateway, bool(latin), now_utc()
    return row
