"""Reminder sweeps (idempotent through notify's keys; they catch up: everything is selected by
"due on or before", never by "due in the last minutes").

- a document in force whose review/expiry date (or its contractor's licence expiry) is within
  its reminder days → one SMS to the responsible person and the director; once it has passed →
  one more, "expired";
- a member of staff whose repeat fire-safety instruction is due within
  INSTRUCTION_REMIND_DAYS → one SMS to them.

`reminders_sweep` runs hourly: safetyops/scheduler/catalogue.py lists it as "documents.reminders".
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..auth.roles import Role
from ..extensions import db
from ..notifications.outbox import notify, register_text, shorten, user_locale
from ..schools.calendar import reminder_day
from ..schools.models import School
from ..time import zone
from . import services
from .kinds import KINDS
from .models import DocStatus

#: A document's name is cut to this length in an SMS, so the text stays one segment.
TITLE_MAX = 24

TEXTS = {
    "docs.review": (_l("SafetyOps: review %(doc)s by %(date)s"),
                    {"doc": "Антитеррордук коргоо па…", "date": "31.12.2026"}),
    "docs.expired": (_l("SafetyOps: %(doc)s expired %(date)s"),
                     {"doc": "Антитеррордук коргоо па…", "date": "31.12.2026"}),
    "docs.instruction": (_l("SafetyOps: repeat fire-safety instruction by %(date)s"), {"date": "31.12.2026"}),
}


def register_texts() -> None:
    for kind, (text, sample) in TEXTS.items():
        register_text(kind, text, sample)


def short_name(doc, locale: str) -> str:
    """The document's kind in the reader's language, cut to fit one SMS (the title is often
    "School No. 95's …", which says nothing on a phone's lock screen)."""
    with force_locale(locale):
        name = str(KINDS[doc.kind].label)
    return shorten(name, TITLE_MAX)


def _today(school, now: dt.datetime) -> dt.date:
    return now.astimezone(zone(school.timezone)).date()


def document_reminders(now: dt.datetime) -> int:
    queued = 0
    for school in db.session.scalars(sa.select(School).order_by(School.id)):
        today = _today(school, now)
        if not reminder_day(school, today):
            continue  # a weekend or a holiday: the next working day's sweep sends it
        directors = services.members_with_role(school, Role.DIRECTOR)
        due = services.due_documents(school, today)
        for status, docs in due.items():
            kind = "docs.expired" if status == DocStatus.EXPIRED.value else "docs.review"
            for doc in docs:
                people = {p.id: p for p in [doc.responsible, *directors] if p is not None and p.is_enabled}
                for person in people.values():  # one call each: the document's name in their language
                    params = {"doc": short_name(doc, user_locale(person, school)),
                              "date": doc.due_on.strftime("%d.%m.%Y")}
                    queued += len(notify(school, [person], kind, f"d{doc.id}:{doc.due_on:%Y%m%d}", params))
    return queued


def instruction_reminders(now: dt.datetime) -> int:
    queued = 0
    for school in db.session.scalars(sa.select(School).order_by(School.id)):
        today = _today(school, now)
        if not reminder_day(school, today):
            continue
        for user, due in services.instruction_due(school, today):
            queued += len(notify(school, [user], "docs.instruction", f"u{user.id}:{due:%Y%m%d}",
                                 {"date": due.strftime("%d.%m.%Y")}))
    return queued


def reminders_sweep(now: dt.datetime) -> int:
    n = document_reminders(now) + instruction_reminders(now)
    db.session.commit()
    return n
