"""Every area is registered by plain imports: blueprints, command groups, demo steps; and the
package reaches no module through importlib (a soft link fails silently and no checker sees it)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import safetyops
from safetyops import demo
from safetyops.areas import AREAS

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
