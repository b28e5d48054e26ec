"""What the areas add to an app: lists kept on the app (`app.extensions`), never in a module's globals.

Each area's `register(app)` (in `safetyops/<area>/__init__.py`) adds its menu entries, home-page
cards, offline pages and the like here (through `safetyops.area.add`), so importing a module changes
nothing and two apps built in one process (the tests build many) each have their own, once.
"""

from __future__ import annotations

from flask import Flask, current_app

#: The lists: `menu.MenuItem`s; home-page card providers (`dashboard.cards`); providers of the pages a
#: phone keeps offline (`offline.pages_for`); providers of the people the gate phone offers (`gate.shifts`).
MENU = "menu"
CARDS = "cards"
OFFLINE_PAGES = "offline_pages"
GATE_SHIFT_CANDIDATES = "gate_shift_candidates"


def entries(key: str, app: Flask | None = None) -> list:
    """The list `key` of `app` (by default the current app); empty until an area adds to it."""
    target = app if app is not None else current_app
    return target.extensions.setdefault(f"safetyops.{key}", [])


def functions(key: str, app: Flask | None = None) -> list:
    """The functions of the list `key` by the name of their module (those of one module in the order they
    were added): the home page's cards of one urgency, or the offline pages, come in the same order
    whatever order the areas were registered in."""
    return sorted(entries(key, app), key=lambda fn: fn.__module__)


def add(app: Flask, key: str, *items: object) -> None:
    """Add `items` to the list `key` of `app`; an item already there is not added twice."""
    found = entries(key, app)
    for item in items:
        if not any(item is there for there in found):  # by identity: lazy labels compare by their text
            found.append(item)
