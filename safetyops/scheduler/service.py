"""Running the sweeps: APScheduler 3 with jobs defined in code, one leader at a time.

Every process that runs a scheduler (the `safetyops scheduler` process, or the thread
of `safetyops serve`) adds the same jobs; a job does its work only while this process
holds the lease. On gaining the lead every sweep runs soon, one after another (staggered,
so they do not queue for SQLite's write lock together), so whatever fell due while no
scheduler ran is caught up (sweeps select "due before now", never "due in
the last five minutes"). APScheduler's own catch-up is not relied on: coalesce on,
misfire grace one hour, one instance per job.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..time import now_utc
from . import lease
from .catalogue import companions, load_sweeps
from .models import SweepState
from .registry import Companion

log = logging.getLogger("safetyops.scheduler")

JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1}
#: On gaining the lead: the first catch-up sweep after this many seconds, then one every CATCHUP_STAGGER_S.
CATCHUP_DELAY_S = 5
CATCHUP_STAGGER_S = 3
#: Caught up after the others.
CATCHUP_LAST = frozenset({"sweep:scheduler.nightly"})


def run_sweep(name: str, fn, now: dt.datetime) -> int:
    """Run one sweep in the current app context and record the outcome in SweepState."""
    state = db.session.get(SweepState, name)
    if state is None:
        state = SweepState(name=name)
        db.session.add(state)
    state.last_start_dt = now
    db.session.commit()
    try:
        count = int(fn(now) or 0)
    except Exception as exc:  # noqa: BLE001 - one sweep's failure must not stop the others
        db.session.rollback()
        log.exception("sweep %s failed", name)
        state = db.session.get(SweepState, name)
        state.last_error = f"{type(exc).__name__}: {exc}"[:500]
        state.runs = (state.runs or 0) + 1
        db.session.commit()
        return 0
    state = db.session.get(SweepState, name)
    state.last_ok_dt = now
    state.last_count = count
    state.last_error = ""
    state.runs = (state.runs or 0) + 1
    db.session.commit()
    return count


def run_all(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every registered sweep once (the `--once` mode and the tests)."""
    now = now or now_utc()
    return {name: run_sweep(name, s.fn, now) for name, s in sorted(load_sweeps().items())}


class SchedulerService:
    def __init__(self, app: Flask, *, blocking: bool = False, dispatch: bool = True) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.app = app
        self.holder = lease.holder_id()
        self.is_leader = False
        self.ttl = float(app.config.get("SCHEDULER_LEASE_TTL", lease.TTL_S))
        self.heartbeat_s = float(app.config.get("SCHEDULER_HEARTBEAT", lease.HEARTBEAT_S))
        cls = BlockingScheduler if blocking else BackgroundScheduler
        self.scheduler = cls(timezone=dt.UTC, job_defaults=JOB_DEFAULTS)
        self.dispatch = dispatch
        self.companions: list[Companion] = []  # the SMS dispatcher (scheduler.catalogue.companions)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ jobs
    def _heartbeat(self) -> None:
        with self.app.app_context():
            try:
                leads = lease.try_acquire(self.holder, now=now_utc(), ttl=self.ttl)
            except Exception:  # noqa: BLE001 - database away: stop leading until it is back
                log.exception("lease heartbeat failed")
                leads = False
            finally:
                db.session.remove()
        gained = leads and not self.is_leader
        if self.is_leader and not leads:
            log.warning("scheduler %s lost the lead", self.holder)
        self.is_leader = leads
        if gained:
            self.schedule_catch_up(dt.datetime.now(dt.UTC))

    def schedule_catch_up(self, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """Run every sweep once soon, to catch up, one after another and never at once: each takes
        the write lock, and on SQLite the phones' requests must get it in between.  The first
        waits CATCHUP_DELAY_S (the server answers first), then one every CATCHUP_STAGGER_S
        (a sweep whose own next run is sooner keeps it); the nightly work (its backup reads the
        whole database) comes last."""
        delay = float(self.app.config.get("SCHEDULER_CATCHUP_DELAY", CATCHUP_DELAY_S))
        stagger = float(self.app.config.get("SCHEDULER_CATCHUP_STAGGER", CATCHUP_STAGGER_S))
        jobs = sorted((j for j in self.scheduler.get_jobs() if j.id.startswith("sweep:")),
                      key=lambda j: (j.id in CATCHUP_LAST, j.id))
        planned = []
        for n, job in enumerate(jobs):
            when = now + dt.timedelta(seconds=delay + n * stagger)
            own = getattr(job, "next_run_time", None)  # a sweep of a few seconds keeps its own, sooner run
            if own is not None and own < when:
                when = own
            job.modify(next_run_time=when)
            planned.append((job.id, when))
        log.info("scheduler %s leads; %d sweeps catch up from %s s on, one every %s s",
                 self.holder, len(jobs), delay, stagger)
        return planned

    def _sweep(self, name: str) -> None:
        if not self.is_leader:
            return
        sweep = load_sweeps().get(name)
        if sweep is None:
            return
        with self.app.app_context():
            try:
                run_sweep(name, sweep.fn, now_utc())
            finally:
                db.session.remove()

    # ------------------------------------------------------------------ life
    def add_jobs(self) -> int:
        from apscheduler.triggers.interval import IntervalTrigger

        with self.app.app_context():
            found = load_sweeps()
        for name, sweep in sorted(found.items()):
            self.scheduler.add_job(self._sweep, IntervalTrigger(minutes=sweep.every_minutes), args=[name],
                                   id=f"sweep:{name}", name=name, replace_existing=True)
        self.scheduler.add_job(self._heartbeat, IntervalTrigger(seconds=self.heartbeat_s), id="lease",
                               next_run_time=dt.datetime.now(dt.UTC), replace_existing=True)
        return len(found)

    def start(self) -> None:
        found = self.add_jobs()
        if self.dispatch:
            self.companions = companions(self.app)
            for thread in self.companions:
                thread.start()
        log.info("scheduler %s started with %d sweeps", self.holder, found)
        self.scheduler.start()  # blocks for BlockingScheduler

    def shutdown(self) -> None:
        for thread in self.companions:
            thread.stop()
        try:
            self.scheduler.shutdown(wait=False)
        except Exception:  # noqa: BLE001 - not running
            pass
        if self.is_leader:
            with self.app.app_context():
                try:
                    lease.release(self.holder)
                finally:
                    db.session.remove()
            self.is_leader = False


def log_to_console() -> None:
    """Show SMS (console gateway) and scheduler lines on the server's console."""
    root = logging.getLogger("safetyops")
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    if not root.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)


def sweep_states() -> list[SweepState]:
    return list(db.session.scalars(sa.select(SweepState).order_by(SweepState.name)))
