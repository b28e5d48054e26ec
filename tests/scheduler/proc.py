"""Entry point for the process tests: `python -m tests.scheduler.proc <safetyops args>`.

Registers a test sweep that queues a message to every staff member every five seconds
(key = the 5-second bucket), then runs the real `safetyops` command line.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from safetyops.notifications.outbox import notify, register_text
from safetyops.scheduler.registry import sweep

register_text("proc.tick", "Tick %(n)s")


@sweep("proc.tick", every_minutes=0.02)
def tick(now):
    from safetyops.auth.models import User
    from safetyops.extensions import db
    from safetyops.schools.models import Membership, School

    school = db.session.scalar(sa.select(School).order_by(School.id))
    if school is None:
        return 0
    users = list(db.session.scalars(sa.select(User).join(Membership).where(Membership.school_id == school.id)))
    bucket = now.replace(second=now.second - now.second % 5, microsecond=0)
    made = notify(school, users, "proc.tick", f"{bucket:%H%M%S}", {"n": f"{bucket:%H:%M:%S}"}, urgent=True)
    db.session.commit()
    return len(made)


if __name__ == "__main__":
    from safetyops.cli import main

    main(args=sys.argv[1:], prog_name="safetyops")
