"""Leader election with a lease row: works the same on SQLite and PostgreSQL.

The holder renews the lease every HEARTBEAT seconds; it expires after TTL. Another
process takes it over at its next attempt after expiry (within TTL + HEARTBEAT,
well under a minute). A leader that cannot renew stops leading at once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

import sqlalchemy as sa

from ..extensions import db
from ..time import now_utc
from .models import SchedulerLease

TTL_S = 30
HEARTBEAT_S = 10


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(holder: str, name: str = "scheduler", now: dt.datetime | None = None, ttl: float = TTL_S) -> bool:
    """Take or renew the lease; True when `holder` leads until now + ttl. Commits."""
    now = now or now_utc()
    until = now + dt.timedelta(seconds=ttl)
    try:
        res = db.session.execute(
            sa.update(SchedulerLease)
            .where(SchedulerLease.name == name,
                   sa.or_(SchedulerLease.holder == holder, SchedulerLease.expires_dt < now))
            .values(holder=holder, heartbeat_dt=now, expires_dt=until,
                    acquired_dt=sa.case((SchedulerLease.holder == holder, SchedulerLease.acquired_dt), else_=now))
            .execution_options(synchronize_session=False)
        )
        if res.rowcount == 1:
            db.session.commit()
            return True
        exists = db.session.scalar(sa.select(SchedulerLease.name).where(SchedulerLease.name == name))
        if exists is not None:
            db.session.commit()
            return False
        db.session.add(SchedulerLease(name=name, holder=holder, acquired_dt=now, heartbeat_dt=now, expires_dt=until))
        db.session.commit()
        return True
    except sa.exc.IntegrityError:  # another process inserted the row first
        db.session.rollback()
        return False
    except sa.exc.OperationalError:
        db.session.rollback()
        return False


def release(holder: str, name: str = "scheduler") -> None:
    db.session.execute(sa.delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder))
    db.session.commit()


def current(name: str = "scheduler") -> SchedulerLease | None:
    return db.session.get(SchedulerLease, name)
