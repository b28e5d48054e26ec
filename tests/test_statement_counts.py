"""The guard against N+1 (issue 19): each main page of each role sends as many SQL statements for a
school with 3 of everything as for one with 30 (`Factories.populate`).

Counts, never timings: a statement count is the same on a busy machine.  A page whose count grows
with the data loads its rows one by one (a lazy relationship in a loop, or a commit before
rendering that expires every listed row): load them with the listing's query instead.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from safetyops.extensions import db
from tests.conftest import login

SMALL, LARGE = 3, 30

#: name -> (role, url(data)).  Every role's home page, then the main list of each area.
PAGES = {
    **{f"home {role}": (role, lambda d: "/") for role in (
        "director", "deputy", "safety_officer", "teacher", "guard", "canteen", "nurse", "admin", "inspector")},
    "gate home (guard)": ("guard", lambda d: "/gate/"),
    "gate log (guard)": ("guard", lambda d: "/gate/entries"),
    "gate log (director)": ("director", lambda d: f"/gate/entries?day={d['gate_day']}"),
    "gate report": ("director", lambda d: f"/gate/report?day={d['gate_day']}"),
    "checklist run page": ("teacher", lambda d: f"/inspections/runs/{d['run'].id}"),
    "my checks": ("teacher", lambda d: "/inspections/checks"),
    "overdue inspections": ("director", lambda d: "/inspections/overdue"),
    "deficiencies": ("director", lambda d: "/inspections/actions"),
    "staff list": ("director", lambda d: "/staff"),
    "audit trail": ("director", lambda d: "/audit"),
    "drills index": ("director", lambda d: "/drills"),
    "incidents list": ("director", lambda d: "/incidents"),
    "rosters week": ("director", lambda d: "/rosters/week"),
    "rosters my duty": ("teacher", lambda d: "/rosters/"),
    "canteen": ("canteen", lambda d: "/canteen"),
    "messages log": ("director", lambda d: "/messages/"),
    "school switcher (inspector)": ("inspector", lambda d: "/school/switch"),
    # the district's schools side by side: 3 schools or 30, the same statements (issue 14)
    "district comparison (inspector)": ("inspector", lambda d: "/reports/district?sort=on_time"),
}


class StatementCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


def count_statements(client, url: str) -> tuple[int, list[str], int]:
    db.session.commit()  # the test's set-up is stored before the request, as on a server
    counter = StatementCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        resp = client.get(url)
        resp.get_data()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return len(counter.statements), counter.statements, resp.status_code


@pytest.fixture
def two_schools(f):
    return f.populate(SMALL), f.populate(LARGE)


@pytest.mark.parametrize("page", list(PAGES))
def test_statement_count_does_not_grow_with_the_data(page, client, two_schools):
    role, url = PAGES[page]
    counts = []
    for data in two_schools:
        login(client, data["people"][role])
        with client.session_transaction() as sess:
            sess["school_id"] = data["school"].id
        client.get(url(data)).close()  # warm: caches filled once per process (templates, catalogues)
        n, statements, status = count_statements(client, url(data))
        assert status == 200, f"{page}: {url(data)} answered {status}"
        counts.append((n, statements))
    (small, small_sql), (large, large_sql) = counts
    if small != large:
        pytest.fail(f"{page}: {small} statements with {SMALL} of everything, {large} with {LARGE}; "
                    f"the extra ones:\n{_extra(small_sql, large_sql)}")


def _shape(statement: str) -> str:
    return " ".join(re.sub(r"\((?:\?|__\[POSTCOMPILE_\w+\]|%\(\w+\)s)(?:, ?(?:\?|%\(\w+\)s))*\)", "(…)",
                           re.sub(r"sa_savepoint_\d+", "sp", statement)).split())


def _extra(small_sql, large_sql) -> str:
    extra = Counter(map(_shape, large_sql)) - Counter(map(_shape, small_sql))
    return "\n".join(f"{n}× {s[:300]}" for s, n in extra.most_common(5))
