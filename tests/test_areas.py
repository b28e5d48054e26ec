"""Every area is registered by plain imports: blueprints, command groups, demo steps; and the
package reaches no module through importlib (a soft link fails silently and no checker sees it).

Each area's `register(app)` is the only thing that adds it to an app: importing every module of the
package changes no registry, and what an area adds is the app's own, once."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import safetyops
from safetyops import create_app, demo, registry
from safetyops.areas import AREAS
from safetyops.auth.roles import role_permissions
from tests.conftest import TEST_CONFIG

PACKAGE = Path(safetyops.__file__).parent


def test_every_area_has_its_blueprint(app):
    assert set(app.blueprints) == set(AREAS)
    assert {p.parent.name for p in PACKAGE.glob("*/views.py")} == set(AREAS)


def test_every_areas_command_group_is_added(app):
    groups = {p.parent.name for p in PACKAGE.glob("*/cli.py")}
    modules = {getattr(command.callback, "__module__", "") for command in app.cli.commands.values()}
    assert {f"safetyops.{area}.cli" for area in groups} <= modules


def test_every_areas_demo_step_is_listed():
    on_disk = {f"safetyops.{p.parent.name}.demo" for p in PACKAGE.glob("*/demo.py")}
    listed = {inspect.getmodule(step).__name__ for step in demo.STEPS}
    assert listed == on_disk


SOFT_LINKS = {"find_spec", "import_module", "__import__"}


def test_the_package_has_no_soft_links():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in SOFT_LINKS or \
                    isinstance(node, ast.Name) and node.id in SOFT_LINKS or \
                    isinstance(node, ast.alias) and node.name in SOFT_LINKS:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}")
    assert found == []


IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import flask_login, flask.signals
import safetyops
for info in pkgutil.walk_packages(safetyops.__path__, "safetyops."):
    importlib.import_module(info.name)
from safetyops.auth import roles
from safetyops.notifications import gateways, outbox
from safetyops.scheduler import registry as sched
print(json.dumps({
    "modules": len([m for m in sys.modules if m.startswith("safetyops.")]),
    "texts": sorted(outbox.texts()),
    "gateways": gateways.gateway_names(),
    "login receivers": len(flask_login.user_logged_in.receivers),
    "render receivers": len(flask.signals.before_render_template.receivers),
    "core permissions": sorted(p for perms in roles.ROLE_PERMISSIONS.values() for p in perms
                               if p not in set(roles.Perm)),
    "sweeps": sorted(sched.sweeps()),
}))
"""


def test_importing_every_module_registers_nothing():
    """In a fresh interpreter, importing all of safetyops adds no SMS text, gateway, signal receiver,
    permission or sweep anywhere: only an area's register(app) does."""
    import json

    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, check=True,
                          cwd=PACKAGE.parent)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found.pop("modules") > 200
    assert found == {"texts": [], "gateways": ["console", "twilio"], "login receivers": 0, "render receivers": 0,
                     "core permissions": [], "sweeps": []}


def _added(app) -> dict:
    return {key: list(registry.entries(key, app))
            for key in (registry.MENU, registry.CARDS, registry.OFFLINE_PAGES, registry.GATE_SHIFT_CANDIDATES)}


def test_each_app_has_its_own_areas_once(app):
    """Two apps built in one process each have every area's menu, cards and pages once, in lists of their
    own: building the second adds nothing to the first; adding an entry again adds nothing."""
    mine = _added(app)
    mine_perms = role_permissions(app)
    other = create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})
    theirs = _added(other)
    assert _added(app) == mine and role_permissions(app) == mine_perms
    assert {k: len(v) for k, v in mine.items()} == {k: len(v) for k, v in theirs.items()}
    assert all(registry.entries(k, app) is not registry.entries(k, other) for k in mine)
    assert len({item.endpoint for item in mine["menu"]}) == len(mine["menu"]) > 40
    assert len(mine["cards"]) == 14 and len(mine["offline_pages"]) == 3 and len(mine["gate_shift_candidates"]) == 1
    registry.add(other, registry.MENU, *theirs["menu"])
    assert _added(other) == theirs
    assert role_permissions(other) == mine_perms and role_permissions(other) is not mine_perms
    assert {item.endpoint.partition(".")[0] for item in mine["menu"]} <= set(AREAS)


def test_the_menu_order_does_not_depend_on_the_order_areas_register(client, as_role):
    """A teacher's menu: the checks first, then their class before the equipment (both of order 20, by name),
    whatever order the areas were registered in."""
    as_role("teacher")
    menu = registry.entries(registry.MENU, client.application)
    original = list(menu)
    pages = []
    try:
        for order in (original, original[::-1]):
            menu[:] = order
            page = client.get("/").get_data(as_text=True)
            nav = page[page.index("My checks"):]
            pages.append([label for label in ("My checks", "Report a hazard", "My class", "Equipment")
                          if label in nav])
            pages[-1].sort(key=nav.index)
    finally:
        menu[:] = original
    assert pages[0] == pages[1] == ["My checks", "Report a hazard", "My class", "Equipment"]


def test_cards_and_offline_pages_come_by_area_whatever_the_registration_order(app):
    """Cards of one urgency and the offline pages are read by module name: the order the areas registered in
    does not show (it did when each area's import registered them)."""
    for key in (registry.CARDS, registry.OFFLINE_PAGES):
        found = registry.entries(key, app)
        original = list(found)
        try:
            forwards = registry.functions(key, app)
            found[:] = sorted(original, key=lambda fn: fn.__module__, reverse=True)  # the areas backwards
            assert registry.functions(key, app) == forwards
        finally:
            found[:] = original
        modules = [fn.__module__ for fn in forwards]
        assert modules == sorted(modules)
    assert [fn.__name__ for fn in registry.functions(registry.CARDS, app)][7:9] == ["my_checks_card",
                                                                                     "deficiencies_card"]


def test_the_home_page_and_the_offline_pages_read_the_providers_by_area(client, as_role, monkeypatch):
    read = []
    functions = registry.functions

    def recording(key, app=None):
        read.append(key)
        return functions(key, app)

    monkeypatch.setattr(registry, "functions", recording)
    as_role("director")
    assert client.get("/").status_code == 200
    assert client.get("/offline/pages.json").status_code == 200
    assert read == [registry.CARDS, registry.OFFLINE_PAGES]
