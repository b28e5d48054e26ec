"""Who the shared gate phone offers by name at a change of shift.

Other areas contribute, as the home page's cards do: a provider is a function (school, today) -> list of
(user, note), e.g. the documents register gives the guards of the security company's contract in force
(note: the company and the contract).  The gate imports none of them; they import this module and
add their provider with `add(app, fn)` from their `register(app)`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask

from .. import registry


def add(app: Flask, *providers: Callable) -> None:
    registry.add(app, registry.GATE_SHIFT_CANDIDATES, *providers)


def candidates(school, today: dt.date) -> list[tuple[object, str]]:
    """Everyone offered, once each (the first note wins), in the providers' order."""
    seen: set[int] = set()
    found = []
    for fn in registry.entries(registry.GATE_SHIFT_CANDIDATES):
        for user, note in fn(school, today):
            if user.id not in seen:
                seen.add(user.id)
                found.append((user, note))
    return found
