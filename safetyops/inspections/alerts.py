"""SMS texts and the soft link to the notifications outbox.

The outbox (`safetyops.notifications.outbox`) may not exist yet: then `send()` queues
nothing and returns an empty list; what matters is also shown on the home page."""

from __future__ import annotations

import importlib
import importlib.util

from flask_babel import lazy_gettext as _l

OUTBOX = "safetyops.notifications.outbox"

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


def outbox():
    """The outbox module, or None while the notifications area is not there."""
    try:
        if importlib.util.find_spec(OUTBOX) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(OUTBOX)


_registered = False


def register_texts() -> bool:
    global _registered
    module = outbox()
    if module is None:
        return False
    if not _registered:
        for kind, text in TEXTS.items():
            module.register_text(kind, text)
        _registered = True
    return True


def short_place(name: str | None) -> str:
    name = (name or "").split(" / ")[0].strip()
    return name if len(name) <= PLACE_MAX else name[: PLACE_MAX - 1] + "…"


def send(school, recipients, kind: str, key: str, params: dict, *, urgent: bool = False) -> list:
    """Queue SMS through the outbox in the current transaction; [] when there is no outbox."""
    recipients = [u for u in recipients if u is not None]
    if not recipients or not register_texts():
        return []
    unique = list({u.id: u for u in recipients}.values())
    return outbox().notify(school, unique, kind, key, params, urgent=urgent) or []
