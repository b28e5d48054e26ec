from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, TimeField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ..converters import DB_DATE, optional_db_int
from ..forms_common import choices
from .services import WEEKDAYS

#: An id or None ("— nobody —"); an id beyond the database's range is the field's error.
_int_or_none = optional_db_int


class SettingsForm(FlaskForm):
    capacity = IntegerField(_l("Seats in the dining hall"), validators=[InputRequired(), NumberRange(min=1, max=2000)],
                            render_kw={"inputmode": "numeric"})
    day_starts = TimeField(_l("Meals from"), validators=[DataRequired()])
    day_ends = TimeField(_l("Meals until"), validators=[DataRequired()])


class SittingForm(FlaskForm):
    class_id = SelectField(_l("Class"), coerce=_int_or_none, validate_choice=False)
    weekdays = SelectMultipleField(_l("Days"), coerce=_int_or_none, validate_choice=False,
                                   choices=choices((i, WEEKDAYS[i]) for i in range(6)))
    starts = TimeField(_l("From"), validators=[DataRequired()])
    ends = TimeField(_l("Until"), validators=[DataRequired()])


class DutyForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired(), DB_DATE])
    user_id = SelectField(_l("Person in charge"), coerce=_int_or_none, validate_choice=False)
