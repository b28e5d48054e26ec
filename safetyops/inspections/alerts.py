"""SMS texts of the inspections area, queued through the notifications outbox's `notify()`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..notifications import outbox

#: kind -> SMS text (one segment: <= 70 characters in Cyrillic at realistic values).
TEXTS = {
    "insp.critical": _l("SafetyOps: critical fault, %(place)s. Act now."),
    "insp.opens": _l("SafetyOps: check %(place)s by %(time)s"),
    "insp.overdue": _l("SafetyOps: check %(place)s is overdue"),
    "insp.escalate": _l("SafetyOps: check %(place)s overdue %(hours)s h"),
    "insp.action_due": _l("SafetyOps: fix #%(num)s due %(date)s"),
    "insp.action_overdue": _l("SafetyOps: fix #%(num)s is overdue"),
}

#: Place names are cut to this length so a text stays one segment.
PLACE_MAX = 18


def register_texts() -> None:
    """Give the outbox this area's texts (idempotent)."""
    for kind, text in TEXTS.items():
        outbox.register_text(kind, text)


def short_place(name: str | None):
    """A place for an SMS: the reader's language part of a bilingual name, cut at a word boundary."""
    return outbox.sms_name(name or "", PLACE_MAX)


def send(school, recipients, kind: str, key: str, params: dict, *, urgent: bool = False) -> list:
    """Queue SMS through the outbox in the current transaction (each person once)."""
    recipients = [u for u in recipients if u is not None]
    if not recipients:
        return []
    unique = list({u.id: u for u in recipients}.values())
    return outbox.notify(school, unique, kind, key, params, urgent=urgent)
