"""Every read of a school's rows names the school.

- `in_school(model, school)`: `select(model)` limited to one school (a School or its id), for
  services and jobs; `owned(model, ident, school)` returns the row or None.  The web layer's
  `access.scoped()` / `access.get_or_404()` are the same with the request's school and a 404.
- `cross_school(reason)`: the explicit, greppable opt-out for the few reads that span schools on
  purpose (a district's views, the scheduler's sweeps, the demo, retention): a context manager, or
  `.execution_options(cross_school=reason)` on one statement.
- `guard(session_class)`: a `do_orm_execute` check that the suite installs: a SELECT of a model
  with a `school_id` column, neither scoped by a school criterion (the `school_id` of one of its
  school-owned tables in the WHERE or a JOIN's ON: rows joined to a scoped row follow it) nor opted
  out, is recorded as a violation with the caller's line.
  Loads of a scoped parent's relationships and refreshes of rows already loaded are not new
  reads and are let through.
"""

from __future__ import annotations

import contextlib
import contextvars
import traceback
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql import visitors

from .extensions import db

_CROSS: contextvars.ContextVar[str | None] = contextvars.ContextVar("cross_school", default=None)


def _school_id(school) -> int:
    return school if isinstance(school, int) else school.id


def in_school(model, school):
    """`select(model)` limited to the given school (a School or its id)."""
    return sa.select(model).where(model.school_id == _school_id(school))


def owned(model, ident, school):
    """The row `ident` of `model` if it belongs to `school`, else None."""
    return db.session.scalar(in_school(model, school).where(model.id == ident))


@contextlib.contextmanager
def cross_school(reason: str) -> Iterator[None]:
    """Reads inside span schools on purpose; `reason` says why (it is shown by the guard's report)."""
    token = _CROSS.set(reason)
    try:
        yield
    finally:
        _CROSS.reset(token)


# --- the guard (installed by the test suite) -----------------------------------------------


def _criteria_tables(statement) -> set:
    """Tables whose `school_id` appears in the statement's WHERE, HAVING or a JOIN's ON."""
    found: set = set()
    clauses = []
    where = getattr(statement, "whereclause", None)
    if where is not None:
        clauses.append(where)
    having = getattr(statement, "_having_criteria", ())
    clauses.extend(having)
    for join in getattr(statement, "_setup_joins", ()):
        onclause = join[1] if len(join) > 1 else None
        if onclause is not None and isinstance(onclause, sa.sql.ClauseElement):
            clauses.append(onclause)
    for frm in getattr(statement, "_from_obj", ()):
        clauses.append(frm)
    for clause in clauses:
        for element in visitors.iterate(clause):
            if isinstance(element, sa.Column) or getattr(element, "name", None) == "school_id":
                if getattr(element, "name", None) != "school_id":
                    continue
                table = getattr(element, "table", None)
                if table is None:
                    continue
                found.add(table)
                found.add(getattr(table, "element", table))
    return found


def _owned_tables(state: ORMExecuteState) -> list:
    tables = []
    for mapper in state.all_mappers:
        table = mapper.local_table
        if "school_id" in table.c:
            tables.append(table)
    return tables


def check(state: ORMExecuteState) -> str | None:
    """Why this execution is an unscoped read of school rows, or None."""
    if not state.is_select or state.is_relationship_load or state.is_column_load:
        return None
    if _CROSS.get() is not None or state.execution_options.get("cross_school"):
        return None
    owned_tables = _owned_tables(state)
    if not owned_tables:
        return None
    scoped = _criteria_tables(state.statement)
    if any(t in scoped for t in owned_tables):
        return None  # the statement names the school (rows joined to a scoped row follow it)
    return ", ".join(sorted({t.name for t in owned_tables}))


def caller_line(skip_prefixes: tuple[str, ...]) -> str:
    """The first frame of the project's code outside this module: where the read was written."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        path = frame.filename
        if "/safetyops/" in path and not path.endswith("/scoping.py") and not any(p in path for p in skip_prefixes):
            return f"{path.split('/safetyops/', 1)[1]}:{frame.lineno} {frame.name}"
    return "?"
