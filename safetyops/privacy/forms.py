"""Forms: whose data is asked for, correction, erasure, a consent and its withdrawal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..converters import DB_INT_MAX
from ..forms_common import choices
from .models import PURPOSE_LABELS, SUBJECT_KIND_LABELS, Purpose, SubjectKind

KIND_CHOICES = choices([("staff", _l("A staff member")), ("visitor", _l("A visitor (gate log)")),
                        ("student", _l("A student (a child of the school)"))])


def _int_or_none(value):
    """A record number, or None (also for numbers no database id can be)."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 1 <= number <= DB_INT_MAX else None


class SubjectForm(FlaskForm):
    """Whose data: a staff member by account, a visitor by name and document, a student by name (and class)."""

    kind = SelectField(_l("Whose data"), choices=KIND_CHOICES)
    user_id = SelectField(_l("Staff member"), coerce=_int_or_none, validate_choice=False)
    name = StringField(_l("Name as written in the records"), validators=[Optional(), Length(max=200)])
    doc = StringField(_l("Last 4 characters of the document"), validators=[Optional(), Length(max=4)],
                      render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    class_id = SelectField(_l("Class (optional)"), coerce=_int_or_none, validate_choice=False)
    exact = BooleanField(_l("Only this spelling (no Latin or Cyrillic variants, same word order)"))


class SubjectActionForm(FlaskForm):
    """The subject again (hidden), for the downloads, the correction and the erasure."""

    kind = HiddenField()
    user_id = HiddenField(filters=[_int_or_none])
    name = HiddenField(validators=[Length(max=200)])
    doc = HiddenField(validators=[Length(max=4)])
    class_id = HiddenField(filters=[_int_or_none])
    exact = HiddenField(validators=[Length(max=1)])
    fmt = HiddenField()
    new_name = StringField(_l("Correct name"), validators=[Optional(), Length(max=200)])
    confirm = BooleanField(_l("I checked that the law allows erasing these data"))


class ConsentForm(FlaskForm):
    subject_kind = SelectField(_l("Whose data"), choices=choices((k.value, SUBJECT_KIND_LABELS[k])
                                                                  for k in SubjectKind))
    subject_name = StringField(_l("Their name"), validators=[DataRequired(), Length(max=200)])
    given_by = StringField(_l("Signed by (the person or their legal representative)"),
                           validators=[DataRequired(), Length(max=200)])
    given_by_relation = StringField(_l("Relation to the person (mother, father, guardian, self)"),
                                    validators=[Optional(), Length(max=60)])
    purpose = SelectField(_l("Purpose"), choices=choices((p.value, PURPOSE_LABELS[p]) for p in Purpose))
    purpose_detail = StringField(_l("Purpose in the paper's words"), validators=[Optional(), Length(max=300)])
    given_on = DateField(_l("Date on the paper"), validators=[DataRequired()])
    paper_ref = StringField(_l("Which paper (number, date, file)"), validators=[DataRequired(), Length(max=120)])
    incident_id = SelectField(_l("Road incident"), coerce=_int_or_none, validate_choice=False)
    gate_entry_id = IntegerField(_l("Gate entry number"), validators=[Optional(), NumberRange(min=1, max=DB_INT_MAX)])
    user_id = SelectField(_l("Staff member"), coerce=_int_or_none, validate_choice=False)
    scan = FileField(_l("Scan or photo of the paper (optional)"), render_kw={"accept": "image/*"})


class WithdrawForm(FlaskForm):
    withdrawn_on = DateField(_l("Withdrawn on"), validators=[DataRequired()])
    note = StringField(_l("How (paper number, in person)"), validators=[Optional(), Length(max=300)])
