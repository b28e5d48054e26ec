from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.roles import ROLE_LABELS, SCHOOL_ROLES
from ..converters import DB_DATE
from ..forms_common import choices
from ..schools.models import AREA_LABELS, Area
from .models import (
    ASSET_TYPE_LABELS,
    ASSIGNEE_KIND_LABELS,
    FREQUENCY_LABELS,
    SEVERITY_LABELS,
    AssetType,
    AssigneeKind,
    Frequency,
    Severity,
)

PHOTO_ATTRS = {"accept": "image/*", "capture": "environment"}


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class AssetForm(FlaskForm):
    asset_type = SelectField(_l("Type"), choices=choices((t.value, ASSET_TYPE_LABELS[t]) for t in AssetType))
    code = StringField(_l("Inventory code"), validators=[DataRequired(), Length(max=40)])
    zone_id = SelectField(_l("Zone"), coerce=_int_or_none, validators=[Optional()])
    description = StringField(_l("Model / description"), validators=[Optional(), Length(max=200)])
    capacity = StringField(_l("Capacity"), validators=[Optional(), Length(max=40)])
    serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=80)])
    commissioned_on = DateField(_l("In service since"), validators=[Optional(), DB_DATE])
    last_service_on = DateField(_l("Last service or recharge"), validators=[Optional(), DB_DATE])
    next_service_on = DateField(_l("Next service due"), validators=[Optional(), DB_DATE])
    is_active = BooleanField(_l("In use"), default=True)


class ScheduleForm(FlaskForm):
    template_key = SelectField(_l("Checklist"), validators=[DataRequired()])
    zone_id = SelectField(_l("Zone"), coerce=_int_or_none, validators=[Optional()])
    asset_id = SelectField(_l("Equipment"), coerce=_int_or_none, validators=[Optional()])
    frequency = SelectField(_l("How often"), choices=choices((f.value, FREQUENCY_LABELS[f]) for f in Frequency))
    opens_time = TimeField(_l("Opens at"), validators=[DataRequired()])
    due_time = TimeField(_l("Done by"), validators=[DataRequired()])
    assignee_kind = SelectField(_l("Who does it"),
                                choices=choices((k.value, ASSIGNEE_KIND_LABELS[k]) for k in AssigneeKind))
    assignee_role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in SCHOOL_ROLES))
    assignee_user_id = SelectField(_l("Person"), coerce=_int_or_none, validators=[Optional()])
    starts_on = DateField(_l("From"), validators=[Optional(), DB_DATE])
    is_active = BooleanField(_l("Active"), default=True)


class AnswerForm(FlaskForm):
    """One tick, without JavaScript (the JS sends the same fields with fetch)."""

    item_id = HiddenField(validators=[DataRequired()])
    client_uuid = HiddenField()
    result = HiddenField()
    note = TextAreaField(_l("What is wrong?"), validators=[Optional(), Length(max=500)])
    photo = FileField(_l("Photo"), render_kw=PHOTO_ATTRS)


class HazardForm(FlaskForm):
    title = StringField(_l("What is the danger?"), validators=[DataRequired(), Length(max=200)])
    zone_id = SelectField(_l("Where"), coerce=_int_or_none, validators=[Optional()])
    area = SelectField(_l("Area"), choices=choices((a.value, AREA_LABELS[a]) for a in Area),
                       default=Area.FIRE_SAFETY.value)
    severity = SelectField(_l("How serious"), choices=choices((s.value, SEVERITY_LABELS[s]) for s in Severity),
                           default=Severity.MAJOR.value)
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=2000)])
    photo = FileField(_l("Photo"), render_kw=PHOTO_ATTRS)
    client_uuid = HiddenField()


class ActionStatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
    photo = FileField(_l("Photo of the fix"), render_kw=PHOTO_ATTRS)


class CommentForm(FlaskForm):
    text = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=1000)])


class AssignForm(FlaskForm):
    assignee_id = SelectField(_l("Assignee"), coerce=_int_or_none, validators=[Optional()])
