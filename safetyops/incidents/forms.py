from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..converters import DB_DATE, optional_db_int
from ..forms_common import choices
from .models import (
    EVENT_KIND_LABELS,
    JOURNEY_LABELS,
    MODE_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    EventKind,
    IncidentStatus,
    Journey,
    Severity,
    TravelMode,
)

#: An id or None ("— nobody —"); an id beyond the database's range is the field's error.
_int_or_none = optional_db_int


class IncidentForm(FlaskForm):
    occurred_date = DateField(_l("Date"), validators=[DataRequired(), DB_DATE])
    occurred_time = TimeField(_l("Time"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)],
                        description=_l("Street and crossing, as people say it"))
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(min=-90, max=90)],
                          render_kw={"inputmode": "decimal"})
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(min=-180, max=180)],
                           render_kw={"inputmode": "decimal"})
    class_id = SelectField(_l("Class"), coerce=_int_or_none, validate_choice=False)
    student_name = StringField(_l("Student's name"), validators=[Optional(), Length(max=120)])
    has_consent = BooleanField(_l("The parents gave written consent to keep the name"))
    mode = SelectField(_l("Travelling as"), choices=choices((m.value, MODE_LABELS[m]) for m in TravelMode))
    journey = SelectField(_l("Journey"), choices=choices((j.value, JOURNEY_LABELS[j]) for j in Journey))
    severity = SelectField(_l("Severity"), choices=choices((s.value, SEVERITY_LABELS[s]) for s in Severity))
    description = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=4000)])
    police_report = StringField(_l("Police report number"), validators=[Optional(), Length(max=40)])
    informed_date = DateField(_l("Parents informed on"), validators=[Optional(), DB_DATE])
    informed_time = TimeField(_l("at"), validators=[Optional()])
    parents_informed_by_id = SelectField(_l("Informed by"), coerce=_int_or_none, validate_choice=False)
    measures = TextAreaField(_l("Measures taken"), validators=[Optional(), Length(max=4000)])
    status = SelectField(_l("Status"), choices=choices((s.value, STATUS_LABELS[s]) for s in IncidentStatus))


class RetentionForm(FlaskForm):
    retention_months = IntegerField(_l("Keep names for (months)"),
                                    validators=[InputRequired(), NumberRange(min=1, max=240)])


class PlanItemForm(FlaskForm):
    class_ids = SelectMultipleField(_l("Classes"), coerce=_int_or_none, validate_choice=False)
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    planned_on = DateField(_l("Planned date"), validators=[DataRequired(), DB_DATE])


class BriefingForm(FlaskForm):
    class_id = SelectField(_l("Class"), coerce=_int_or_none, validate_choice=False)
    held_on = DateField(_l("Date held"), validators=[DataRequired(), DB_DATE])
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=200)])
    held_by_id = SelectField(_l("Held by"), coerce=_int_or_none, validate_choice=False)
    students_present = IntegerField(_l("Students present"), validators=[InputRequired(), NumberRange(min=0)],
                                    render_kw={"inputmode": "numeric"})
    plan_item_id = SelectField(_l("From the plan"), coerce=_int_or_none, validate_choice=False)
    event_id = SelectField(_l("Before the event"), coerce=_int_or_none, validate_choice=False)


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices((k.value, EVENT_KIND_LABELS[k]) for k in EventKind))
    title = StringField(_l("What and where"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("Date"), validators=[DataRequired(), DB_DATE])
    class_ids = SelectMultipleField(_l("Classes taking part"), coerce=_int_or_none, validate_choice=False)
