"""A reminder sweep over S schools × P staff (default 100 × 200 = 20,000 people).

The sweep is what an area's `jobs.py` sweep does in the worst case: for every school, in the
school's own time zone, every staff member is due one reminder today, queued with `notify()`
(rendered in each person's language, preferences and STOP list checked, idempotency key per
person and day), committed per school (and the session emptied after each school, or every
commit would expire every person loaded so far: quadratic). Timed twice: the first run queues everything; the second
(a doubled or catch-up run) must queue nothing. Both through `run_sweep` (the scheduler's wrapper).

Usage: python bench/notifications_sweep.py [--schools 100] [--staff 200] [--pg URL]
Writes bench/results/notifications_sweep[_pg].json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.notifications_common import make_app, make_database, seed  # noqa: E402
from safetyops.extensions import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--pg", default="")
    args = parser.parse_args()

    from flask_babel import lazy_gettext as _l

    from safetyops.auth.models import User
    from safetyops.notifications.models import OutboundMessage
    from safetyops.notifications.outbox import notify, register_text
    from safetyops.scheduler.service import run_sweep
    from safetyops.schools.models import Membership, School
    from safetyops.time import zone

    register_text("bench.eve", _l("Duty tomorrow %(time)s at %(post)s. SafetyOps"))

    def sweep(now: dt.datetime) -> int:
        queued = 0
        for school_id in db.session.scalars(sa.select(School.id).order_by(School.id)).all():
            school = db.session.get(School, school_id)
            day = now.astimezone(zone(school.timezone)).date()
            staff = list(db.session.scalars(
                sa.select(User).join(Membership, Membership.user_id == User.id)
                .where(Membership.school_id == school.id, User.is_enabled.is_(True))))
            queued += len(notify(school, staff, "bench.eve", f"{day:%Y%m%d}", {"time": "07:30", "post": "Gate 1"}))
            db.session.commit()
            db.session.expunge_all()  # keep the session small: each commit expires what it holds
        return queued

    url, drop = make_database(args.pg or None)
    try:
        app = make_app(url)
        t0 = time.perf_counter()
        seed(app, args.schools, args.staff)
        seed_s = time.perf_counter() - t0
        if args.pg:
            with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        with app.app_context():
            now = dt.datetime.now(dt.UTC)
            t0 = time.perf_counter()
            first = run_sweep("bench.eve", sweep, now)
            first_s = time.perf_counter() - t0
            db.session.remove()
            if args.pg:  # what autovacuum does soon after 20,000 inserts: fresh planner statistics
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")
            t0 = time.perf_counter()
            second = run_sweep("bench.eve", sweep, now + dt.timedelta(minutes=5))
            second_s = time.perf_counter() - t0
            total = db.session.scalar(sa.select(sa.func.count(OutboundMessage.id)))
            db.session.remove()
            db.engine.dispose()
        people = args.schools * args.staff
        result = {
            "database": "postgresql" if args.pg else "sqlite",
            "schools": args.schools, "staff_per_school": args.staff, "people": people,
            "seed_seconds": round(seed_s, 2),
            "first_run_seconds": round(first_s, 2), "first_run_queued": first,
            "messages_per_second": round(first / first_s),
            "second_run_seconds": round(second_s, 2), "second_run_queued": second,
            "outbox_rows": total,
        }
        assert first == people == total and second == 0, result
        print(json.dumps(result, indent=2))
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / ("notifications_sweep_pg.json" if args.pg else "notifications_sweep.json")).write_text(
            json.dumps(result, indent=2) + "\n")
    finally:
        drop()


if __name__ == "__main__":
    main()
