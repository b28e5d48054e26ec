"""The catalogue: every area's sweeps and nightly hooks, by name, imported plainly.

A jobs module the catalogue does not list would never run, without a word; one that is missing
or broken must stop the scheduler at start-up, not skip its sweeps."""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import pytest

import safetyops
from safetyops.scheduler import catalogue, registry

SWEEPS = {
    "documents.reminders": 60,
    "drills.training_expiry": 60,
    "ecology.removal_late": 60,
    "gate.after_closing": 5,
    "gate.rounds": 5,
    "incidents.anonymise": 360,
    "incidents.event_briefings": 30,
    "inspections.actions": 30,
    "inspections.checks": 5,
    "notifications.dispatch": 1,
    "reports.weekly_digest": 60,
    "rosters.checkin_nudges": 2,
    "rosters.eve_reminders": 15,
    "scheduler.nightly": 15,
}
NIGHTLY = {"accidents.retention", "audit.retention", "drills.reunion_retention", "gate.retention",
           "notifications.retention", "roadsafety.retention", "wellbeing.retention"}


def test_every_areas_sweeps_are_listed_by_name():
    assert {s.name: s.every_minutes for s in catalogue.SWEEPS}.items() >= SWEEPS.items()
    assert set(catalogue.NIGHTLY) >= NIGHTLY
    assert set(catalogue.load_sweeps()) >= set(SWEEPS)


def test_every_jobs_module_is_imported_by_the_catalogue():
    """`safetyops/<area>/jobs.py` on disk <=> a jobs module the catalogue imports (and uses)."""
    package = Path(safetyops.__file__).parent
    on_disk = {f"safetyops.{p.parent.name}.jobs" for p in package.glob("*/jobs.py")}
    listed = {m.__name__ for m in vars(catalogue).values() if inspect.ismodule(m) and m.__name__.endswith(".jobs")}
    assert listed == on_disk
    used = {fn.__module__ for fn in catalogue.NIGHTLY.values()} | {
        s.fn.__module__ for s in catalogue.SWEEPS}
    assert used >= on_disk - {"safetyops.scheduler.jobs"}  # the nightly sweep is the catalogue's own wrapper


def test_the_areas_jobs_do_not_register_themselves():
    """Nothing is added to the run-time registry by importing the areas (only tests add there)."""
    names = set(registry.sweeps()) | set(registry.nightly_hooks())
    assert not {n for n in names if not n.startswith(("test.", "proc."))}


def test_run_time_sweeps_join_the_catalogues(monkeypatch):
    monkeypatch.setattr(registry, "_SWEEPS", {})
    monkeypatch.setattr(registry, "_NIGHTLY", {})
    registry.sweep("test.extra", every_minutes=7)(lambda now: 0)
    registry.nightly("test.purge")(lambda now: None)
    assert catalogue.load_sweeps()["test.extra"].every_minutes == 7
    assert set(catalogue.nightly_hooks()) == set(catalogue.NIGHTLY) | {"test.purge"}


def test_a_missing_jobs_module_stops_the_scheduler_loudly(monkeypatch):
    import safetyops.gate
    import safetyops.scheduler

    monkeypatch.delitem(sys.modules, "safetyops.scheduler.catalogue")
    monkeypatch.delattr(safetyops.scheduler, "catalogue")
    monkeypatch.setitem(sys.modules, "safetyops.gate.jobs", None)  # as if gate/jobs.py were not there
    monkeypatch.delattr(safetyops.gate, "jobs")
    with pytest.raises(ImportError, match="safetyops.gate.jobs"):
        importlib.import_module("safetyops.scheduler.catalogue")
