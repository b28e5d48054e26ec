from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..auth.roles import ROLE_LABELS, SCHOOL_ROLES
from ..config import LANGUAGES
from ..converters import DB_DATE
from ..forms_common import PhoneField, choices
from ..i18n import LANGUAGE_NAMES
from .models import AREA_LABELS, CALENDAR_KIND_LABELS, ZONE_KIND_LABELS, Area, CalendarKind, ZoneKind

USERNAME_RE = r"^[a-z0-9_.-]{3,64}$"
LANGUAGE_CHOICES = choices((code, LANGUAGE_NAMES[code]) for code in LANGUAGES)


class StaffForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Regexp(USERNAME_RE, message=_l("3–64 Latin lower-case letters, digits, . _ -"))],
        filters=[lambda v: (v or "").strip().lower()],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    phone = PhoneField(_l("Mobile phone"), validators=[Optional()], render_kw={"type": "tel", "inputmode": "tel"})
    role = SelectField(_l("Role at this school"), choices=choices((r.value, ROLE_LABELS[r]) for r in SCHOOL_ROLES))
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ZoneForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=choices((k.value, ZONE_KIND_LABELS[k]) for k in ZoneKind))
    building = StringField(_l("Building"), validators=[Optional(), Length(max=60)])
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(min=-3, max=30)])
    is_active = BooleanField(_l("In use"), default=True)


class AppointmentForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int, validators=[DataRequired()])
    area = SelectField(_l("Area of responsibility"), choices=choices((a.value, AREA_LABELS[a]) for a in Area))
    order_number = StringField(_l("Order number"), validators=[DataRequired(), Length(max=40)])
    order_date = DateField(_l("Order date"), validators=[DataRequired()])
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("Until (empty while in force)"), validators=[Optional()])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))


class SchoolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    default_locale = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES)

    def validate_timezone(self, field):
        if field.data not in available_timezones():
            raise ValidationError(_l("Unknown time zone. Example: Asia/Bishkek or Asia/Almaty."))


class ProfileForm(FlaskForm):
    phone = PhoneField(_l("Mobile phone"), validators=[Optional()], render_kw={"type": "tel", "inputmode": "tel"})
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class CalendarEntryForm(FlaskForm):
    kind = SelectField(_l("What these days are"),
                       choices=choices((k.value, CALENDAR_KIND_LABELS[k]) for k in CalendarKind))
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    first_day = DateField(_l("First day"), validators=[DataRequired(), DB_DATE])
    last_day = DateField(_l("Last day (empty: one day)"), validators=[Optional(), DB_DATE])
