"""The "Today" page is made of cards that each area contributes.

An area adds a provider (a function (user, school, role, today) -> list[Card]) from its
`register(app)`: `area.add(app, bp, cards=[fn])`.  Cards are shown most urgent first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import registry


@dataclass
class Card:
    title: str
    url: str | None = None
    #: Bigger first; 100 = act now, 50 = today, 10 = for information.
    urgency: int = 10
    count: int | None = None
    lines: list[str] = field(default_factory=list)
    #: "danger", "warning", "ok" or "" (colour of the card's edge).
    tone: str = ""
    #: A partial template to render instead of lines (gets `card` in its context).
    template: str | None = None
    data: dict = field(default_factory=dict)


def cards_for(user, school, role, today) -> list[Card]:
    cards: list[Card] = []
    for fn in registry.functions(registry.CARDS):
        cards.extend(fn(user, school, role, today))
    return sorted(cards, key=lambda c: -c.urgency)


def grouped(cards: list[Card]) -> list[tuple[str, object, list[Card]]]:
    """A manager's home in groups, in order: act now (urgency 90 and more, or a red edge), today (30 and
    more, or an amber edge) and for information (the rest: cards that only inform); empty groups left out."""
    from flask_babel import lazy_gettext as _l

    act = [c for c in cards if c.urgency >= 90 or c.tone == "danger"]
    today = [c for c in cards if c not in act and (c.urgency >= 30 or c.tone == "warning")]
    info = [c for c in cards if c not in act and c not in today]
    groups = (("act", _l("Act now"), act), ("today", _l("Today"), today), ("info", _l("For information"), info))
    return [(key, label, group) for key, label, group in groups if group]
