"""The leader lease and what each sweep last did."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SchedulerLease(db.Model):
    """Only the holder of an unexpired lease runs sweeps; it renews it by heartbeat."""

    __tablename__ = "scheduler_leases"

    #: Lease name ("scheduler").
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    #: host:pid:random of the process holding it.
    holder: Mapped[str] = mapped_column(sa.String(120))
    #: When the current holder took it.
    acquired_dt: Mapped[dt.datetime]
    #: Last renewal.
    heartbeat_dt: Mapped[dt.datetime]
    #: Anyone may take it after this.
    expires_dt: Mapped[dt.datetime]


class SweepState(db.Model):
    """Last run of a sweep (for the status page, and for the nightly job's catch-up)."""

    __tablename__ = "scheduler_sweep_states"

    #: Sweep name ("notifications.dispatch").
    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    #: Start of the last run.
    last_start_dt: Mapped[dt.datetime | None]
    #: End of the last successful run.
    last_ok_dt: Mapped[dt.datetime | None]
    #: Messages queued by the last run.
    last_count: Mapped[int] = mapped_column(default=0)
    #: Error of the last run ("" when it went well).
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Runs so far.
    runs: Mapped[int] = mapped_column(default=0)
