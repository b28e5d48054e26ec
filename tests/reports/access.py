"""Access table of the reports area (see tests/test_access_matrix.py)."""

from __future__ import annotations

from safetyops.auth.roles import Role

READERS = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER, Role.INSPECTOR})

MATRIX = {
    "reports.district": frozenset({Role.INSPECTOR}),
    "reports.safety": READERS,
    "reports.safety_pdf": READERS,
    "reports.safety_xlsx": READERS,
}


def objects(f, school) -> dict:
    return {}
