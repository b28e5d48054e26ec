"""The nightly job: retention hooks of every area, then a backup of the SQLite database.

It is a sweep every 15 minutes that runs the night's work once per local day after
NIGHTLY_AT (default 02:30 in DEFAULT_TIMEZONE): a scheduler that was down at 02:30
catches up when it comes back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from ..backup import backup_sqlite, sqlite_path
from ..extensions import db
from .models import SweepState
from .registry import NightlyFn, nightly_hooks

log = logging.getLogger("safetyops.scheduler")

DONE = "scheduler.nightly.done"
BACKUP_KEEP = 14


def last_due(now: dt.datetime) -> dt.datetime:
    tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    hh, mm = (int(x) for x in str(current_app.config.get("NIGHTLY_AT", "02:30")).split(":"))
    local = now.astimezone(tz)
    due = dt.datetime.combine(local.date(), dt.time(hh, mm), tzinfo=tz)
    if local < due:
        due -= dt.timedelta(days=1)
    return due.astimezone(dt.UTC)


def backup_database(now: dt.datetime) -> Path | None:
    """SQLite: an online backup into instance/backups, keeping the newest BACKUP_KEEP. Else None."""
    src = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if src is None:
        return None
    folder = Path(current_app.config.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups")
    local = now.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    dest = folder / f"safetyops-{local:%Y-%m-%d}.sqlite3"
    backup_sqlite(src, dest)
    for old in sorted(folder.glob("safetyops-*.sqlite3"))[:-BACKUP_KEEP]:
        old.unlink(missing_ok=True)
    return dest


def nightly_sweep(now: dt.datetime, hooks: Mapping[str, NightlyFn] | None = None) -> int:
    """The `scheduler.nightly` sweep: `hooks` (the catalogue's and any registered; by default only
    those registered at run time), then the backup, once per night."""
    hooks = nightly_hooks() if hooks is None else hooks
    due = last_due(now)
    state = db.session.get(SweepState, DONE)
    if state is not None and state.last_ok_dt is not None and state.last_ok_dt >= due:
        return 0
    for name, fn in sorted(hooks.items()):
        try:
            fn(now)
            db.session.commit()
        except Exception:  # noqa: BLE001 - one hook's failure must not stop the backup
            db.session.rollback()
            log.exception("nightly hook %s failed", name)
    error = ""
    try:
        path = backup_database(now)
        if path:
            log.info("nightly backup written to %s", path)
    except Exception as exc:  # noqa: BLE001
        log.exception("nightly backup failed")
        error = f"backup: {exc}"[:500]
    state = db.session.get(SweepState, DONE)
    if state is None:
        state = SweepState(name=DONE)
        db.session.add(state)
    state.last_start_dt = now
    state.last_ok_dt = now
    state.last_error = error
    state.runs = (state.runs or 0) + 1
    db.session.commit()
    return 0
