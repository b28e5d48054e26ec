"""What an area adds to an app, in one call from the area's `register(app)`.

    def register(app: Flask) -> None:          # safetyops/<area>/__init__.py
        from .. import area
        from . import services, views
        from .permissions import GRANTS

        area.add(app, views.bp, grants=GRANTS, menu=views.MENU, cards=[views.home_cards],
                 offline_pages=[views.offline_pages], texts=[services.register_texts])

The permissions, menu entries, cards and offline pages are kept on the app (`safetyops.registry`,
`auth.roles.role_permissions`), never in a module's globals, so importing a module changes nothing
and every app built in one process has each area once.  The SMS texts go to the outbox's catalogue,
the same for every app (a kind registered again keeps one text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet

import click
from flask import Blueprint, Flask

from . import registry
from .auth.roles import P, Role, grant


def add(app: Flask, blueprint: Blueprint, *, commands: Iterable[click.Command] = (),
        grants: Mapping[P, AbstractSet[Role]] | None = None, menu: Iterable[object] = (),
        cards: Iterable[Callable] = (), offline_pages: Iterable[Callable] = (),
        texts: Iterable[Callable[[], None]] = ()) -> None:
    """Add an area to `app`: its blueprint and command groups, the roles that hold its permissions
    (`grants`), its menu entries (`menu.MenuItem`), its home-page card providers
    (`(user, school, role, today) -> [Card]`), the providers of the pages a phone keeps offline
    (`(user, school, role, today) -> [url]`) and the functions that give the outbox its SMS texts."""
    app.register_blueprint(blueprint)
    for command in commands:
        app.cli.add_command(command)
    if grants:
        grant(app, grants)
    registry.add(app, registry.MENU, *menu)
    registry.add(app, registry.CARDS, *cards)
    registry.add(app, registry.OFFLINE_PAGES, *offline_pages)
    for register_texts in texts:
        register_texts()
