"""The areas of the app.  Each is a package `safetyops.<area>` that may have:

- `views.py` with a blueprint `bp` (registered by create_app);
- `cli.py` with a click group `cli` (added to the `safetyops` command);
- `demo.py` whose `@safetyops.demo.step` functions extend `safetyops demo`;
- `cards.py` / `menu` entries / `roles.grant(...)` calls, made when its views import.
"""

AREAS = [
    "auth",
    "dashboard",
    "schools",
    "audit",
    "inspections",
    "notifications",
    "scheduler",
    "rosters",
    "gate",
    "drills",
    "canteen",
    "incidents",
]
