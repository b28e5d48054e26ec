"""The "Today" page is made of cards that each area contributes.

An area registers a provider: a function (user, school, role, today) -> list[Card].
Cards are shown most urgent first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PROVIDERS: list[Callable] = []


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


def provider(fn: Callable) -> Callable:
    PROVIDERS.append(fn)
    return fn


def cards_for(user, school, role, today) -> list[Card]:
    cards: list[Card] = []
    for fn in PROVIDERS:
        cards.extend(fn(user, school, role, today))
    return sorted(cards, key=lambda c: -c.urgency)
