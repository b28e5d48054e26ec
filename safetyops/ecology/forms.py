"""Forms of the ecology area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..converters import DB_DATE, optional_db_int
from ..forms_common import choices
from .models import COLLECTED_LABELS, GREENING_LABELS, WASTE_LABELS

PHOTO = {"accept": "image/*", "capture": "environment"}


def _contract_field():
    return SelectField(_l("Contract (documents register)"), coerce=optional_db_int, validate_choice=False)


class ScheduleForm(FlaskForm):
    contract_id = _contract_field()
    every_days = IntegerField(_l("Taken away at least every … days"), validators=[DataRequired(), NumberRange(1, 92)],
                              default=7)
    starts_on = DateField(_l("Counting from"), validators=[DataRequired(), DB_DATE])


class RemovalForm(FlaskForm):
    removed_on = DateField(_l("Day taken away"), validators=[DataRequired(), DB_DATE])
    contract_id = _contract_field()
    contractor = StringField(_l("Contractor"), validators=[Optional(), Length(max=200)])
    volume_m3 = DecimalField(_l("Volume, m³"), places=2, validators=[DataRequired(), NumberRange(0, 99999)],
                             render_kw={"inputmode": "decimal"})
    kind = SelectField(_l("Waste"), choices=choices((k.value, v) for k, v in WASTE_LABELS.items()))
    note = StringField(_l("Waybill number or note"), validators=[Optional(), Length(max=200)])


class CollectionForm(FlaskForm):
    handed_on = DateField(_l("Day handed over"), validators=[DataRequired(), DB_DATE])
    kind = SelectField(_l("What was collected"), choices=choices((k.value, v) for k, v in COLLECTED_LABELS.items()))
    quantity_kg = DecimalField(_l("Quantity, kg"), places=1, validators=[DataRequired(), NumberRange(0.1, 999999)],
                               render_kw={"inputmode": "decimal"})
    receiver = StringField(_l("Handed over to"), validators=[DataRequired(), Length(max=200)])
    act_number = StringField(_l("Act number"), validators=[Optional(), Length(max=40)])
    act = FileField(_l("Photo of the act"), render_kw=PHOTO)


class LabDisposalForm(FlaskForm):
    disposed_on = DateField(_l("Day of disposal"), validators=[DataRequired(), DB_DATE])
    substances = StringField(_l("What was disposed of"), validators=[DataRequired(), Length(max=300)])
    quantity = StringField(_l("Quantity (as on the act)"), validators=[DataRequired(), Length(max=60)])
    method = StringField(_l("How"), validators=[Optional(), Length(max=200)])
    responsible_id = SelectField(_l("Responsible person"), coerce=optional_db_int, validate_choice=False)
    act_number = StringField(_l("Act number"), validators=[Optional(), Length(max=40)])
    act = FileField(_l("Photo of the act"), render_kw=PHOTO)


class GreeningForm(FlaskForm):
    kind = SelectField(_l("Work"), choices=choices((k.value, v) for k, v in GREENING_LABELS.items()))
    title = StringField(_l("What"), validators=[DataRequired(), Length(max=200)])
    place = StringField(_l("Where"), validators=[Optional(), Length(max=120)])
    planned_on = DateField(_l("By"), validators=[DataRequired(), DB_DATE])
