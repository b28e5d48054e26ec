"""Forms: the anonymous report (with its challenge and a trap field), the code, the case's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms_common import choices
from .models import KIND_LABELS, REPORTER_LABELS, STATUS_LABELS


class ReportForm(FlaskForm):
    kind = SelectField(_l("What is it about?"), choices=choices((k.value, v) for k, v in KIND_LABELS.items()))
    reporter_kind = SelectField(_l("Who are you?"), choices=choices((k.value, v) for k, v in REPORTER_LABELS.items()),
                                default="unsaid")
    body = TextAreaField(_l("What happened?"), validators=[DataRequired(), Length(max=4000)],
                         render_kw={"rows": 6, "maxlength": 4000})
    place = StringField(_l("Where? (optional)"), validators=[Optional(), Length(max=200)])
    answer = StringField(_l("Check: type the answer"), validators=[DataRequired(), Length(max=3)],
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    #: A trap for robots: hidden from people (CSS and aria-hidden); a report that fills it is dropped.
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})


class CodeForm(FlaskForm):
    code = StringField(_l("Your code"), validators=[DataRequired(), Length(max=30)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class NoteForm(FlaskForm):
    body = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 3})


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Answer to the reporter"), validators=[Optional(), Length(max=4000)],
                          render_kw={"rows": 3})


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices((k.value, v) for k, v in STATUS_LABELS.items()))
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})
