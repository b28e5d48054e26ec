"""Who the shared gate phone offers by name at a change of shift.

Other areas contribute, as the home page's cards do: a provider is a function (school, today) -> list of
(user, note), e.g. the documents register gives the guards of the security company's contract in force
(note: the company and the contract).  The gate imports none of them; they import this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

PROVIDERS: list[Callable] = []


def provider(fn: Callable) -> Callable:
    PROVIDERS.append(fn)
    return fn


def candidates(school, today: dt.date) -> list[tuple[object, str]]:
    """Everyone offered, once each (the first note wins), in the providers' order."""
    seen: set[int] = set()
    found = []
    for fn in PROVIDERS:
        for user, note in fn(school, today):
            if user.id not in seen:
                seen.add(user.id)
                found.append((user, note))
    return found
