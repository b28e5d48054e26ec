"""Checklist templates in the database: the sync that stores each valid file of `checklists/` as a new
immutable version when its content is new, and the current version of each template."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from ..time import now_utc
from .checklist_files import Error, content_hash, load_dir, load_file
from .models import ChecklistVersion


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)


def validate_path(path: str | Path | None = None) -> tuple[int, list[Error]]:
    """Validate a file or a folder (default: the shipped one)."""
    if path is not None and Path(path).is_file():
        template, errors = load_file(path)
        return (1 if template else 0), errors
    templates, errors = load_dir(path)
    return len(templates), errors


_LOADED: dict = {}


def _load_dir_cached(path):
    """load_dir, remembered while no file of the folder changed (the sync runs often in tests)."""
    from .checklist_files import SHIPPED_DIR, SUFFIXES

    folder = Path(path) if path is not None else SHIPPED_DIR
    try:
        stamp = tuple(sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in folder.iterdir()
                             if p.suffix in SUFFIXES and p.is_file()))
    except OSError:
        return load_dir(path)
    key = (str(folder.resolve()), stamp)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_dir(folder)
    return _LOADED[key]


def sync_templates(path: str | Path | None = None) -> SyncReport:
    """Store each valid template whose content is new as a new immutable version.
    A file with errors is skipped: the last good version stays current."""
    templates, errors = _load_dir_cached(path)
    report = SyncReport(errors=errors)
    now = now_utc()
    for key, template in sorted(templates.items()):
        digest = content_hash(template)
        existing = db.session.scalar(sa.select(ChecklistVersion).where(
            ChecklistVersion.template_key == key, ChecklistVersion.content_hash == digest))
        latest = latest_version(key)
        if existing is not None and latest is not None and latest.id == existing.id:
            report.unchanged.append(key)
            continue
        if existing is not None:  # the file went back to an earlier content: that version is current again
            existing.synced_dt = now
        else:
            db.session.add(ChecklistVersion(template_key=key, file_version=template.version, content_hash=digest,
                                            content=template.to_dict(), synced_dt=now))
        report.added.append(key)
    db.session.flush()
    return report


def latest_version(key: str) -> ChecklistVersion | None:
    return db.session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.template_key == key)
                             .order_by(ChecklistVersion.synced_dt.desc(), ChecklistVersion.id.desc()).limit(1))


def current_versions() -> dict[str, ChecklistVersion]:
    rows = db.session.scalars(sa.select(ChecklistVersion).order_by(ChecklistVersion.synced_dt,
                                                                   ChecklistVersion.id))
    return {v.template_key: v for v in rows}


def ensure_templates() -> dict[str, ChecklistVersion]:
    """The current versions; syncs the shipped folder once if the database has none."""
    versions = current_versions()
    if not versions:
        sync_templates()
        versions = current_versions()
    return versions
