from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.roles import ROLE_LABELS, SCHOOL_ROLES
from ..converters import DB_DATE
from ..forms_common import choices
from .models import DAYS_RULE_LABELS, POST_KIND_LABELS, DaysRule, PostKind

WEEKDAY_LABELS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (rendered by the rosters/_macros.html `checkgroup` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def weekday_choices():
    return choices((i, WEEKDAY_LABELS[i]) for i in range(7))


class PostForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=choices((k.value, POST_KIND_LABELS[k]) for k in PostKind))
    zone_id = SelectField(_l("Zone"), coerce=int, validators=[Optional()])
    days = SelectField(_l("Days"), choices=choices((d.value, DAYS_RULE_LABELS[d]) for d in DaysRule))
    weekdays = MultiCheckboxField(_l("Weekdays"), choices=weekday_choices(), coerce=int, validators=[Optional()])
    start_time = TimeField(_l("Starts at"), validators=[DataRequired()])
    end_time = TimeField(_l("Ends at"), validators=[DataRequired()])
    eligible_roles = MultiCheckboxField(_l("Who may stand it"),
                                         choices=choices((r.value, ROLE_LABELS[r]) for r in SCHOOL_ROLES))
    position = IntegerField(_l("Order on the roster"), default=0, validators=[Optional(), NumberRange(min=0, max=999)])
    is_active = BooleanField(_l("In use"), default=True)


class SettingsForm(FlaskForm):
    school_weekdays = MultiCheckboxField(_l("School days"), choices=weekday_choices(), coerce=int)
    max_per_week = IntegerField(_l("Most duties per person a week"), validators=[DataRequired(), NumberRange(1, 7)])
    rest_hours_after_night = IntegerField(_l("Hours off after a night shift"),
                                          validators=[Optional(), NumberRange(0, 72)], default=24)
    checkin_grace_minutes = IntegerField(_l("Flag a missing check-in after (minutes)"),
                                         validators=[DataRequired(), NumberRange(1, 120)])
    is_swap_approval_required = BooleanField(_l("Swaps need approval"))


class GenerateForm(FlaskForm):
    starts_on = DateField(_l("From"), validators=[DataRequired(), DB_DATE])
    ends_on = DateField(_l("Until"), validators=[DataRequired(), DB_DATE])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))


class PersonForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int)  # 0 = "—": the service says "choose a person"


class UnavailabilityForm(FlaskForm):
    user_id = SelectField(_l("Person"), coerce=int)  # 0 = "—": the service says "choose a person"
    starts_on = DateField(_l("From"), validators=[DataRequired(), DB_DATE])
    ends_on = DateField(_l("Until (empty: no end)"), validators=[Optional(), DB_DATE])
    weekdays = MultiCheckboxField(_l("Only on these weekdays"), choices=weekday_choices(), coerce=int,
                                   validators=[Optional()])
    note = StringField(_l("Why"), validators=[Optional(), Length(max=200)])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel file"), render_kw={"accept": ".csv,.xlsx"})
