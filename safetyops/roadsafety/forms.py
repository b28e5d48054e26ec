"""Forms of the road-safety work."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..converters import DB_DATE, optional_db_int
from ..forms_common import choices
from .models import EVENT_LABELS, MATERIAL_LABELS


class MemberForm(FlaskForm):
    student_name = StringField(_l("Student"), validators=[DataRequired(), Length(max=120)])
    class_id = SelectField(_l("Class"), coerce=optional_db_int, validate_choice=False)
    is_leader = BooleanField(_l("Squad leader"))
    consent_paper = StringField(_l("Parent's written consent (number and date of the paper)"),
                                validators=[DataRequired(), Length(max=80)])
    joined_on = DateField(_l("Joined on"), validators=[DataRequired(), DB_DATE])


class EventForm(FlaskForm):
    kind = SelectField(_l("Event"), choices=choices((k.value, v) for k, v in EVENT_LABELS.items()))
    held_on = DateField(_l("Date"), validators=[DataRequired(), DB_DATE])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    participants = StringField(_l("Who took part"), validators=[Optional(), Length(max=300)])
    participants_count = IntegerField(_l("How many took part"), validators=[Optional(), NumberRange(0, 5000)])
    result = StringField(_l("Result or decision"), validators=[Optional(), Length(max=300)])
    act_number = StringField(_l("Act or minutes number"), validators=[Optional(), Length(max=40)])
    photo = FileField(_l("Photo of the event or of the act"), render_kw={"accept": "image/*"})


class MaterialForm(FlaskForm):
    kind = SelectField(_l("Kind of material"), choices=choices((k.value, v) for k, v in MATERIAL_LABELS.items()))
    title = StringField(_l("What it is"), validators=[DataRequired(), Length(max=200)])
    quantity = IntegerField(_l("How many"), validators=[Optional(), NumberRange(0, 100000)])
    kept_where = StringField(_l("Where it is kept"), validators=[Optional(), Length(max=120)])
    added_on = DateField(_l("Added on"), validators=[DataRequired(), DB_DATE])
