"""Form pieces shared by every area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, StringField
from wtforms.validators import ValidationError

from .phones import normalize_phone


class PhoneField(StringField):
    """A phone number typed in any usual way; `.e164` holds the normalised value.

    The region for local numbers (0555 123 456) comes from the form's `region`."""

    e164: str | None = None

    def pre_validate(self, form):
        self.e164 = None
        raw = (self.data or "").strip()
        if not raw:
            return
        self.e164 = normalize_phone(raw, getattr(form, "region", "KG"))
        if self.e164 is None:
            raise ValidationError(_l("This is not a valid phone number. Example: 0555 123 456 or +996 555 123 456."))


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]
