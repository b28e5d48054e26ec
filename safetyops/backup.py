"""Backups of the SQLite database: the online backup API, consistent while the app writes.

Used by `safetyops backup` and by the scheduler's nightly sweep (a job must not import the CLI)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(url) -> Path | None:
    """The database file of a SQLite URL; None for any other database (or an in-memory one)."""
    u = make_url(url)
    return Path(u.database) if u.get_backend_name() == "sqlite" and u.database else None


def backup_sqlite(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` through the online backup API (never a file copy: WAL)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    with sqlite3.connect(src) as source, sqlite3.connect(tmp) as target:
        source.backup(target)
    source.close()
    target.close()
    os.replace(tmp, dest)
