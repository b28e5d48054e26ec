"""The emergency numbers shown during a real emergency: the public ones (101, 102, 103, 112) and the school's own
contacts, which the school edits as lines of text.  The actor and the school are arguments."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from .models import EMERGENCY_NUMBERS, EmergencyContact


def emergency_contacts(school: School) -> list[EmergencyContact]:
    return list(db.session.scalars(sa.select(EmergencyContact).where(EmergencyContact.school_id == school.id)
                                   .order_by(EmergencyContact.position, EmergencyContact.id)))


def emergency_numbers(school: School) -> list[tuple[str, str]]:
    """(number, label) to show as tel: links: 101, 102, 103, 112, then the school's own."""
    country = school.country if school.country in ("KG", "KZ") else "KG"
    public = [(n, str(label[country] if isinstance(label, dict) else label)) for n, label in EMERGENCY_NUMBERS]
    return public + [(c.number, c.label) for c in emergency_contacts(school)]


_DIALABLE = re.compile(r"\+?[0-9][0-9 ()-]{1,28}")


def save_emergency_contacts(actor: User | None, school: School, text: str) -> list[EmergencyContact]:
    """Replace the school's own numbers by the lines of `text`: "label: number" (or "label number")."""
    parsed = []
    for i, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        label, sep, number = line.rpartition(":")
        if not sep:
            label, _sp, number = line.rpartition(" ")
        label, number = label.strip(), number.strip()
        if not label or not _DIALABLE.fullmatch(number):
            raise ServiceError(_l("Line %(n)s: write a name, a colon and a phone number.", n=i), "lines")
        parsed.append((label[:80], number))
    if len(parsed) > 10:
        raise ServiceError(_l("At most 10 numbers."), "lines")
    for old in emergency_contacts(school):
        db.session.delete(old)
    db.session.flush()
    rows = [EmergencyContact(school_id=school.id, label=label, number=number, position=i)
            for i, (label, number) in enumerate(parsed)]
    db.session.add_all(rows)
    db.session.flush()
    record(actor, school, "emergency_contacts.update", detail=";".join(f"{lab}={n}" for lab, n in parsed))
    return rows
