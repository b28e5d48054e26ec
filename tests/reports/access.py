"""Access table of the reports area (see tests/test_access_matrix.py)."""

from __future__ import annotations

from safetyops.auth.roles import Role

MATRIX = {
    "reports.district": frozenset({Role.INSPECTOR}),
}


def objects(f, school) -> dict:
    return {}
