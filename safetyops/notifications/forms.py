from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..auth.roles import ROLE_LABELS, SCHOOL_ROLES
from ..forms_common import choices
from .models import CHANNEL_LABELS, SMS_CHANNELS, TELEGRAM_MODE_LABELS, TelegramMode
from .routes import ROUTE_LABELS


class PreferenceForm(FlaskForm):
    channel = SelectField(_l("Receive reminders by"),
                          choices=choices((c.value, CHANNEL_LABELS[c]) for c in SMS_CHANNELS))
    telegram_mode = SelectField(_l("Telegram"), validators=[Optional()],  # shown once linked
                                choices=choices((m.value, TELEGRAM_MODE_LABELS[m]) for m in TelegramMode))
    quiet_start = TimeField(_l("Quiet hours from"), validators=[Optional()])
    quiet_end = TimeField(_l("Quiet hours until"), validators=[Optional()])


def audience_choices():
    return choices([("all", _l("All staff"))] + [(r.value, ROLE_LABELS[r]) for r in SCHOOL_ROLES])


class BroadcastForm(FlaskForm):
    audience = SelectField(_l("To"), choices=[])
    text = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=459)],
                         render_kw={"rows": 4, "maxlength": 459, "data-sms-counter": "1"})
    token = HiddenField()
    confirm = HiddenField()
    latin = BooleanField(_l("Send in Latin letters"))

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.audience.choices = audience_choices()


class RuleForm(FlaskForm):
    is_enabled = BooleanField(_l("On"))
    at_time = TimeField(_l("At"), validators=[Optional()])
    minutes = IntegerField(_l("Minutes"), validators=[Optional(), NumberRange(min=0, max=10080)])


class BudgetForm(FlaskForm):
    monthly_som = IntegerField(_l("SMS budget per month, som"),
                               validators=[InputRequired(), NumberRange(min=0, max=100_000_000)])


class RouteForm(FlaskForm):
    gateway = SelectField(_l("SMS go through"), choices=choices((k, v) for k, v in ROUTE_LABELS.items()))
    latin = BooleanField(_l("Reminders in Latin letters"))
