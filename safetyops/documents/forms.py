from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms_common import choices
from .kinds import KINDS
from .models import DOC_STATUS_LABELS, INSTRUCTION_KIND_LABELS, STORED_STATUSES, DocKind, InstructionKind

ACCEPT = {"accept": "application/pdf,image/*", "multiple": True}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _files(label):
    return MultipleFileField(label, render_kw=ACCEPT)


class DocumentForm(FlaskForm):
    title_local = StringField(_l("Title in Kyrgyz (Kazakh)"), validators=[Optional(), Length(max=200)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=200)])
    number = StringField(_l("Number"), validators=[Optional(), Length(max=40)])
    approved_on = DateField(_l("Date of approval"), validators=[Optional()])
    approved_by_id = SelectField(_l("Approved by the order"), coerce=int, default=0)
    approval_note = StringField(_l("Or approved how"), validators=[Optional(), Length(max=200)])
    contractor = StringField(_l("Contractor"), validators=[Optional(), Length(max=200)])
    licence_number = StringField(_l("Licence number"), validators=[Optional(), Length(max=60)])
    licence_expires_on = DateField(_l("Licence valid until"), validators=[Optional()])
    responsible_id = SelectField(_l("Responsible person"), coerce=int, default=0)
    review_on = DateField(_l("Review by / valid until"), validators=[Optional()])
    remind_days = IntegerField(_l("Remind this many days before"), default=30,
                               validators=[InputRequired(), NumberRange(min=0, max=365)],
                               render_kw={"inputmode": "numeric", "min": 0, "max": 365})
    status = SelectField(_l("Status"), choices=choices((s.value, DOC_STATUS_LABELS[s]) for s in STORED_STATUSES),
                         default="in_force")
    files = _files(_l("File: PDF or photos of the signed paper"))
    version_note = StringField(_l("Note on this version"), validators=[Optional(), Length(max=300)])


def document_form(kind: DocKind, **kw) -> DocumentForm:
    """The form with the kind's own fields (`d_<key>`)."""
    attrs = {}
    for f in KINDS[kind].fields:
        field_cls = TextAreaField if f.widget == "area" else StringField
        extra = {"render_kw": {"rows": 3}} if f.widget == "area" else {}
        attrs[f"d_{f.key}"] = field_cls(f.label, validators=[Optional(), Length(max=2000)], **extra)
    if kind is DocKind.CONTRACT_SECURITY:
        attrs["guard_ids"] = MultiCheckboxField(_l("Guards of this company (the gate phone offers them)"),
                                                coerce=int, validators=[Optional()])
    cls = type(f"DocumentForm_{kind.value}", (DocumentForm,), attrs)
    return cls(**kw)


class VersionForm(FlaskForm):
    files = _files(_l("File: PDF or photos of the signed paper"))
    approved_on = DateField(_l("Date of approval"), validators=[Optional()])
    review_on = DateField(_l("Review by / valid until"), validators=[Optional()])
    note = StringField(_l("What changed"), validators=[Optional(), Length(max=300)])


class InstructionForm(FlaskForm):
    kind = SelectField(_l("Kind of instruction"),
                       choices=choices((k.value, INSTRUCTION_KIND_LABELS[k]) for k in InstructionKind),
                       default=InstructionKind.REPEAT.value)
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    instructor_id = SelectField(_l("Instructed by"), coerce=int, default=0)
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=300)])
    user_ids = MultiCheckboxField(_l("Who was instructed"), coerce=int)
    next_due_on = DateField(_l("Next repeat instruction due"), validators=[Optional()])
    files = _files(_l("Signed journal page (optional)"))


class ScanForm(FlaskForm):
    files = _files(_l("Signed journal page: PDF or photos"))


class JournalFilter(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
