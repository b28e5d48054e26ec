from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..converters import DB_DATE, optional_db_int
from ..forms_common import PhoneField, choices
from .models import (
    ALARM_KIND_LABELS,
    ALARM_KINDS,
    CD_FUNCTION_LABELS,
    COURSE_LABELS,
    DRILL_KIND_LABELS,
    DRILL_KINDS,
    CdFunction,
    Course,
    DrillKind,
)

KIND_CHOICES = choices((k.value, DRILL_KIND_LABELS[k]) for k in DRILL_KINDS)
ALARM_CHOICES = choices((k.value, ALARM_KIND_LABELS[k]) for k in ALARM_KINDS)
NUMBER = {"inputmode": "numeric", "autocomplete": "off"}


def _count(label, **kw):
    return IntegerField(label, validators=[InputRequired(message=_l("Enter a number, 0 or more.")),
                                           NumberRange(min=0, max=60, message=_l("Between 0 and 60."))],
                        render_kw={**NUMBER, "min": 0, "max": 60}, **kw)


class ReportForm(FlaskForm):
    on_register = _count(_l("On the register"))
    present = _count(_l("Present in school today"))
    evacuated = _count(_l("At the assembly point"))
    injured = _count(_l("Injured"), default=0)
    missing_names = TextAreaField(_l("Names of the missing"), validators=[Optional(), Length(max=500)],
                                  render_kw={"rows": 2})


class StartForm(FlaskForm):
    # No kind is pre-selected: the person chooses it (a director tapping straight through once started
    # an earthquake drill instead of the fire drill they meant).
    kind = RadioField(_l("Kind of drill"), choices=KIND_CHOICES,
                      validators=[InputRequired(message=_l("Choose the kind of drill."))])
    plan_id = SelectField(_l("Planned drill"), coerce=int, default=0)
    is_announced = BooleanField(_l("Announced to staff beforehand"), default=True)
    send_sms = RadioField(_l("SMS to all staff"), choices=choices([
        ("yes", _l("Yes: every member of staff gets an SMS now")),
        ("no", _l("No SMS: staff are told another way"))]),
        validators=[InputRequired(message=_l("Choose whether staff get an SMS."))])


class EmergencyForm(FlaskForm):
    kind = SelectField(_l("What is happening"), choices=ALARM_CHOICES)
    confirm = BooleanField(_l("I confirm: this is a real emergency, not a drill"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


class AlarmForm(FlaskForm):
    """The alarm button's confirmation step: the kind was the second tap, the rest is optional."""

    kind = HiddenField(validators=[DataRequired(), AnyOf([k.value for k in ALARM_KINDS])])
    zone_id = SelectField(_l("Where"), coerce=optional_db_int, default=None)
    note = StringField(_l("What you see (optional)"), validators=[Optional(), Length(max=200)],
                       render_kw={"autocomplete": "off", "maxlength": 200})


class CancelAlarmForm(FlaskForm):
    reason = StringField(_l("Why it was a false alarm"),
                         validators=[DataRequired(message=_l("Say why it was a false alarm.")), Length(max=300)])


class NumbersForm(FlaskForm):
    lines = TextAreaField(_l("The school's own numbers, one a line: name, then the number"),
                          validators=[Optional(), Length(max=2000)],
                          render_kw={"rows": 5, "placeholder": "Kalkan: +996 312 000000"})


class AllClearForm(FlaskForm):
    confirmed = HiddenField(default="")


class ClassForm(FlaskForm):
    name = StringField(_l("Class"), validators=[DataRequired(), Length(max=20)], render_kw={"placeholder": "5А"})
    grade = IntegerField(_l("Grade"), validators=[InputRequired(), NumberRange(min=0, max=12)], render_kw=NUMBER)
    students = IntegerField(_l("Students on the register"), validators=[InputRequired(), NumberRange(min=0, max=60)],
                            render_kw=NUMBER)
    homeroom_id = SelectField(_l("Homeroom teacher"), coerce=int, default=0)
    assembly_point_id = SelectField(_l("Assembly point"), coerce=int, default=0)
    is_active = BooleanField(_l("Active"), default=True)


class PointForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = StringField(_l("How to find it"), validators=[Optional(), Length(max=300)])
    is_active = BooleanField(_l("In use"), default=True)


class TargetsForm(FlaskForm):
    target_fire = IntegerField(DRILL_KIND_LABELS[DrillKind.FIRE], validators=[InputRequired(), NumberRange(1, 3600)],
                               render_kw=NUMBER)
    target_earthquake = IntegerField(DRILL_KIND_LABELS[DrillKind.EARTHQUAKE],
                                     validators=[InputRequired(), NumberRange(1, 3600)], render_kw=NUMBER)
    target_lockdown = IntegerField(DRILL_KIND_LABELS[DrillKind.LOCKDOWN],
                                   validators=[InputRequired(), NumberRange(1, 3600)], render_kw=NUMBER)
    target_chemical = IntegerField(DRILL_KIND_LABELS[DrillKind.CHEMICAL],
                                   validators=[InputRequired(), NumberRange(1, 3600)], render_kw=NUMBER)


class PlanForm(FlaskForm):
    kind = SelectField(_l("Kind of drill"), choices=KIND_CHOICES)
    target_date = DateField(_l("Target date"), validators=[DataRequired(), DB_DATE])
    is_announced = BooleanField(_l("Announced to staff beforehand"), default=True)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class ReviewForm(FlaskForm):
    observers_notes = TextAreaField(_l("Observers' notes"), validators=[Optional(), Length(max=5000)],
                                    render_kw={"rows": 4})
    participants = TextAreaField(_l("Participants"), validators=[Optional(), Length(max=2000)],
                                 render_kw={"rows": 2})


class FindingForm(FlaskForm):
    text = StringField(_l("What was found"), validators=[DataRequired(), Length(max=500)])
    severity = SelectField(_l("Severity"), choices=choices(
        [("minor", _l("Minor")), ("major", _l("Major")), ("critical", _l("Critical"))]))
    raise_action = BooleanField(_l("Open a corrective action"), default=True)


class TrainingForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int, validators=[DataRequired()])
    course = SelectField(_l("Course"), choices=choices((c.value, COURSE_LABELS[c]) for c in Course))
    taken_on = DateField(_l("Date of the course"), validators=[DataRequired(), DB_DATE])
    expires_on = DateField(_l("Valid until"), validators=[Optional(), DB_DATE])
    certificate_no = StringField(_l("Certificate number"), validators=[Optional(), Length(max=40)])
    electrical_group = SelectField(_l("Electrical safety group"), coerce=int, default=0, choices=choices(
        [(0, "—"), (1, "I"), (2, "II"), (3, "III"), (4, "IV"), (5, "V")]))


class CdForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int, validators=[DataRequired()])
    function = SelectField(_l("Function"), choices=choices((c.value, CD_FUNCTION_LABELS[c]) for c in CdFunction))
    duties = StringField(_l("Duties"), validators=[Optional(), Length(max=300)])
    order_number = StringField(_l("Order number"), validators=[DataRequired(), Length(max=40)])
    order_date = DateField(_l("Order date"), validators=[DataRequired(), DB_DATE])
    starts_on = DateField(_l("From"), validators=[DataRequired(), DB_DATE])
    ends_on = DateField(_l("Until (empty while in force)"), validators=[Optional(), DB_DATE])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))


# --- reunification -------------------------------------------------------------------------------------------

LANGUAGE_CHOICES = choices([("ky", "Кыргызча"), ("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")])


class StudentForm(FlaskForm):
    full_name = StringField(_l("Student's name"), validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "off"})
    is_active = BooleanField(_l("On the class list"), default=True)


class GuardianForm(FlaskForm):
    region = "KG"  # set by the view from the school's country (PhoneField reads it)
    full_name = StringField(_l("Guardian's name"), validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "off"})
    relation = StringField(_l("Relation to the child"), validators=[Optional(), Length(max=60)],
                           render_kw={"placeholder": _l("mother, grandfather…")})
    phone = PhoneField(_l("Mobile phone"), validators=[DataRequired()], render_kw={"inputmode": "tel"})
    locale = SelectField(_l("Language of the SMS"), choices=LANGUAGE_CHOICES)
    consent_on = DateField(_l("Date of the written consent"), validators=[DataRequired(), DB_DATE])
    consent_ref = StringField(_l("Consent paper (number, file)"), validators=[DataRequired(), Length(max=120)])


class DeleteForm(FlaskForm):
    pass


class StudentImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel file"), render_kw={"accept": ".csv,.xlsx"})


class HandoverForm(FlaskForm):
    client_id = HiddenField(validators=[DataRequired(), Length(max=40)])
    guardian_id = RadioField(_l("Who takes the child"), coerce=optional_db_int, validate_choice=False)
    adult_name = StringField(_l("Another adult: name"), validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "off"})
    relation = StringField(_l("Relation to the child"), validators=[Optional(), Length(max=60)],
                           render_kw={"autocomplete": "off"})
    doc_last4 = StringField(_l("Last 4 characters of their document"), validators=[Optional(), Length(max=10)],
                            render_kw={"autocomplete": "off", "maxlength": 4, "autocapitalize": "characters"})


class ReunionSmsForm(FlaskForm):
    class_id = SelectField(_l("Class"), coerce=int)
    # the length is the service's check (its message says why: one SMS)
    place = StringField(_l("Pick-up place (in the SMS)"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"maxlength": 20, "placeholder": _l("Gate 2")})
