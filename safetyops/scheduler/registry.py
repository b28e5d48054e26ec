"""Sweeps: idempotent jobs over database state, run by the leading scheduler.

A sweep is a plain function `fn(now) -> int` (now: aware UTC; it returns how many messages it
queued) in `safetyops/<area>/jobs.py`; the area's jobs module does not know the scheduler.
`safetyops.scheduler.catalogue` lists every area's sweeps by name and imports their modules
plainly, so a missing or broken jobs module fails loudly at import, never silently.

A sweep must queue nothing twice (notify's idempotency key does that) and must catch up on
everything that fell due while the scheduler was down: select by "due before now", never by
"due in the last five minutes".

This module is the low layer: the `Sweep` record, and a registry of extra sweeps and nightly
hooks added at run time (tests, and the process tests' `tests/scheduler/proc.py`).  It imports
nothing of the areas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["Companion", "Sweep", "SweepFn", "NightlyFn", "sweep", "nightly", "sweeps", "nightly_hooks"]

SweepFn = Callable[[datetime], int]
NightlyFn = Callable[[datetime], object]


class Companion(Protocol):
    """A thread a scheduler process runs beside the sweeps (the SMS dispatcher)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Sweep:
    name: str
    every_minutes: float
    fn: SweepFn

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a sweep needs a name")
        if self.every_minutes <= 0:
            raise ValueError("every_minutes must be positive")


_SWEEPS: dict[str, Sweep] = {}
_NIGHTLY: dict[str, NightlyFn] = {}


def sweep(name: str, every_minutes: float = 5) -> Callable[[SweepFn], SweepFn]:
    """Register an extra `fn(now) -> int` to run every `every_minutes` (besides the catalogue's)."""
    Sweep(name, float(every_minutes), lambda now: 0)  # validates before anything is registered

    def deco(fn: SweepFn) -> SweepFn:
        _SWEEPS[name] = Sweep(name, float(every_minutes), fn)
        return fn

    return deco


def nightly(name: str) -> Callable[[NightlyFn], NightlyFn]:
    """Register an extra `fn(now)` to run once a night (besides the catalogue's)."""
    if not name:
        raise ValueError("a nightly hook needs a name")

    def deco(fn: NightlyFn) -> NightlyFn:
        _NIGHTLY[name] = fn
        return fn

    return deco


def sweeps() -> dict[str, Sweep]:
    """The extra sweeps registered at run time."""
    return dict(_SWEEPS)


def nightly_hooks() -> dict[str, NightlyFn]:
    """The extra nightly hooks registered at run time."""
    return dict(_NIGHTLY)
