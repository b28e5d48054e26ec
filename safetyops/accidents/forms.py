"""Forms of the incident register."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from ..converters import DB_DATE, optional_db_int
from ..forms_common import choices
from .models import INCIDENT_LABELS


class IncidentForm(FlaskForm):
    kind = SelectField(_l("What happened"), choices=choices((k.value, v) for k, v in INCIDENT_LABELS.items()))
    occurred_on = DateField(_l("Date"), validators=[DataRequired(), DB_DATE])
    occurred_at = TimeField(_l("Time"), validators=[DataRequired()])
    place = StringField(_l("Where"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What happened (no names)"), validators=[DataRequired(), Length(max=4000)],
                                render_kw={"rows": 4})
    parents_informed = BooleanField(_l("Parents informed"))
    ambulance = BooleanField(_l("Ambulance (103) called"))
    police = BooleanField(_l("102 called"))
    measures = TextAreaField(_l("Measures taken"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})


class InjuryForm(FlaskForm):
    class_id = SelectField(_l("Class"), coerce=optional_db_int, validate_choice=False)
    injury = StringField(_l("Injury"), validators=[DataRequired(), Length(max=300)])
    first_aid = StringField(_l("First aid given"), validators=[Optional(), Length(max=300)])
    person_name = StringField(_l("Name (only with the parent's written consent)"),
                              validators=[Optional(), Length(max=120)])
    consent_paper = StringField(_l("Consent: number and date of the paper"), validators=[Optional(), Length(max=80)])
