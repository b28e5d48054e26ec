"""SMS texts of the rosters area (one segment each: ≤ 70 characters in Cyrillic at realistic values;
post names are cut to 22 characters)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..notifications.outbox import register_text

TEXTS = {
    "rosters.eve": _l("Duty tomorrow %(date)s %(time)s: %(post)s"),
    "rosters.nudge": _l("Duty %(post)s since %(time)s: please check in."),
    "rosters.swap_accepted": _l("Your duty %(date)s was taken; awaiting approval."),
    "rosters.swap_done": _l("Swap approved: duty %(date)s %(post)s is not yours now."),
    "rosters.swap_taken": _l("Swap approved: your duty %(date)s %(time)s %(post)s"),
    "rosters.swap_declined": _l("Duty swap %(date)s was declined."),
}

def register_texts() -> None:
    """Give the outbox this area's texts (idempotent)."""
    for kind, text in TEXTS.items():
        register_text(kind, text)
