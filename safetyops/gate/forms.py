from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..errors_service import ServiceError
from ..extensions import db
from ..forms_common import PhoneField, choices
from ..schools.services import staff_query
from ..time import now_utc
from .models import (
    DOC_TYPE_LABELS,
    ENTRY_KIND_LABELS,
    WATCH_REASON_LABELS,
    DocType,
    EntryKind,
    GateEntry,
    RoundAlertMode,
    WatchReason,
)
from .services import clean_last4
from .settings import parse_round_times

IMAGES = FileAllowed(["jpg", "jpeg", "png", "webp", "heic"], _l("A photo (JPEG, PNG or WebP)."))


def _last4(form, field):
    try:
        clean_last4(field.data)
    except ServiceError as err:
        raise ValidationError(err.message) from None


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class EntryForm(FlaskForm):
    client_id = HiddenField()
    kind = SelectField(_l("Who"), choices=choices((k.value, ENTRY_KIND_LABELS[k]) for k in EntryKind),
                       default=EntryKind.VISITOR.value)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Type the name.")), Length(max=200)], filters=[_strip],
                       render_kw={"autocomplete": "off", "list": "gate-names", "autocapitalize": "words"})
    doc_type = SelectField(_l("Document"), choices=choices((d.value, DOC_TYPE_LABELS[d]) for d in DocType),
                           default=DocType.NONE.value)
    doc_last4 = StringField(_l("Last 4 characters"), validators=[Optional(), _last4],
                            render_kw={"autocomplete": "off", "autocapitalize": "characters", "maxlength": "20",
                                       "spellcheck": "false"})
    phone = PhoneField(_l("Phone"), validators=[Optional()], render_kw={"type": "tel", "inputmode": "tel"})
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=200)], filters=[_strip])
    host_id = SelectField(_l("Whom (staff member)"), coerce=int, default=0, render_kw={
        "data-search": _l("Type a name"),
        "data-search-none": _l("No staff member has this name: choose one from the list.")})
    vehicle_plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(max=20)],
                                render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    in_time = TimeField(_l("Time in"), validators=[Optional()])
    has_photo_consent = BooleanField(_l("The person agrees to a photo"))
    photo = FileField(_l("Photo"), validators=[Optional(), IMAGES],
                      render_kw={"accept": "image/*", "capture": "environment"})


#: The host picker puts first the staff visited most in this many days.
HOST_DAYS = 90


def host_choices(school, nobody: str, now: dt.datetime | None = None) -> list:
    """The host picker's choices: nobody, then the school's most visited staff (most visits in
    the last `HOST_DAYS` days first), then everyone else by name; disabled accounts left out."""
    since = (now or now_utc()) - dt.timedelta(days=HOST_DAYS)
    visits = dict(db.session.execute(
        sa.select(GateEntry.host_id, sa.func.count())
        .where(GateEntry.school_id == school.id, GateEntry.host_id.is_not(None), GateEntry.in_dt >= since)
        .group_by(GateEntry.host_id)).all())
    staff: dict[int, str] = {}
    for user, _role in db.session.execute(staff_query(school)).all():
        if user.is_enabled:
            staff.setdefault(user.id, user.full_name)
    ordered = sorted(staff.items(), key=lambda item: (-visits.get(item[0], 0), item[1].casefold()))
    return choices([(0, nobody), *ordered])


class SignOutForm(FlaskForm):
    out_time = TimeField(_l("Time out"), validators=[Optional()])


class WatchForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Type the name.")), Length(max=200)], filters=[_strip])
    reason = SelectField(_l("Reason"), choices=choices((r.value, WATCH_REASON_LABELS[r]) for r in WatchReason))
    doc_last4 = StringField(_l("Last 4 characters of the document number"), validators=[Optional(), _last4],
                            render_kw={"autocomplete": "off", "maxlength": "20"})
    note = StringField(_l("Note for the guard"), validators=[Optional(), Length(max=500)])
    photo = FileField(_l("Photo"), validators=[Optional(), IMAGES], render_kw={"accept": "image/*"})


class CheckpointForm(FlaskForm):
    name = StringField(_l("Checkpoint name"), validators=[DataRequired(_l("Type the name.")), Length(max=120)],
                       filters=[_strip])
    zone_id = SelectField(_l("Zone"), coerce=int, default=0)


class CodeForm(FlaskForm):
    code = StringField(_l("Checkpoint code"), validators=[DataRequired(_l("Type the code under the QR label."))],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    client_id = HiddenField()


class ScanForm(FlaskForm):
    client_id = HiddenField()


class SettingsForm(FlaskForm):
    closing_time = TimeField(_l("Closing time"), validators=[DataRequired()])
    retention_days = IntegerField(_l("Keep visitor data for (days)"),
                                  validators=[DataRequired(), NumberRange(min=1, max=3650)])
    round_times = StringField(_l("Night round times"), validators=[DataRequired(), Length(max=200)])
    round_grace_minutes = IntegerField(_l("Minutes allowed for a round"),
                                       validators=[DataRequired(), NumberRange(min=5, max=180)])
    round_alert_mode = SelectField(_l("A missed checkpoint is reported"), choices=choices([
        (RoundAlertMode.AT_ONCE.value, _l("At once, by SMS")),
        (RoundAlertMode.MORNING.value, _l("In the morning summary")),
    ]))
    morning_time = TimeField(_l("Morning summary time"), validators=[DataRequired()])
    is_host_sms_on = BooleanField(_l("Tell the host by SMS when their visitor arrives"))
    lock_minutes = IntegerField(_l("Lock the gate phone after (minutes without a touch)"),
                                validators=[DataRequired(), NumberRange(min=1, max=60)])

    def validate_round_times(self, field):
        try:
            parse_round_times(field.data)
        except ServiceError as err:
            raise ValidationError(err.message) from None


class PinForm(FlaskForm):
    pin = PasswordField(_l("New PIN (4–8 digits)"), validators=[DataRequired()],
                        render_kw={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"})


class UnlockForm(FlaskForm):
    secret = PasswordField(_l("PIN"), validators=[DataRequired()], render_kw={"autocomplete": "off"})
