"""Sweeps: idempotent jobs over database state, registered in code.

    from safetyops.scheduler.registry import sweep

    @sweep("inspections.overdue", every_minutes=5)
    def overdue(now: datetime) -> int:      # now: aware UTC
        ...queue with notify(...), commit...
        return queued_count

A sweep must queue nothing twice (notify's idempotency key does that) and must catch
up on everything that fell due while the scheduler was down: select by "due before
now", never by "due in the last five minutes".  Areas put their sweeps in
``safetyops/<area>/jobs.py``; `load_sweeps()` imports those of every area.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Sweep", "sweep", "nightly", "sweeps", "nightly_hooks", "load_sweeps"]

SweepFn = Callable[[datetime], int]


@dataclass(frozen=True)
class Sweep:
    name: str
    every_minutes: float
    fn: SweepFn


_SWEEPS: dict[str, Sweep] = {}
_NIGHTLY: dict[str, Callable[[datetime], object]] = {}


def sweep(name: str, every_minutes: float = 5) -> Callable[[SweepFn], SweepFn]:
    """Register `fn(now) -> int` to run every `every_minutes` on the leading scheduler."""
    if not name:
        raise ValueError("a sweep needs a name")
    if every_minutes <= 0:
        raise ValueError("every_minutes must be positive")

    def deco(fn: SweepFn) -> SweepFn:
        _SWEEPS[name] = Sweep(name, float(every_minutes), fn)
        return fn

    return deco


def nightly(name: str) -> Callable:
    """Register `fn(now)` to run once a night (retention purges and the like)."""

    def deco(fn):
        _NIGHTLY[name] = fn
        return fn

    return deco


def sweeps() -> dict[str, Sweep]:
    return dict(_SWEEPS)


def nightly_hooks() -> dict[str, Callable[[datetime], object]]:
    return dict(_NIGHTLY)


def load_sweeps() -> dict[str, Sweep]:
    """Import `jobs.py` of every area (and this area's own), then return the registry."""
    from ..areas import AREAS

    for area in [*AREAS, "notifications", "scheduler"]:
        name = f"safetyops.{area}.jobs"
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(name)
    return sweeps()
