"""Who may use the roster routes (see tests/test_access_matrix.py)."""

from __future__ import annotations

import datetime as dt

from safetyops.auth.roles import Role
from safetyops.extensions import db
from tests.access_common import ALL, MANAGERS, TOKEN

STAFF = ALL - {Role.INSPECTOR}

MATRIX = {
    "rosters.my": STAFF,
    "rosters.checkin": STAFF,
    "rosters.offer": STAFF,
    "rosters.swaps": STAFF,
    "rosters.swap_accept": STAFF,
    "rosters.swap_approve": STAFF,
    "rosters.swap_decline": STAFF,
    "rosters.checkins": STAFF,
    "rosters.day": STAFF,
    "rosters.week": STAFF,
    "rosters.print_week": STAFF,
    "rosters.pdf_week": STAFF,
    "rosters.feed": STAFF,
    "rosters.feed_ics": TOKEN,
    "rosters.posts": MANAGERS,
    "rosters.post_edit": MANAGERS,
    "rosters.settings": MANAGERS,
    "rosters.unavailability": MANAGERS,
    "rosters.unavailability_delete": MANAGERS,
    "rosters.generate": MANAGERS,
    "rosters.preview": MANAGERS,
    "rosters.publish": MANAGERS,
    "rosters.shift_edit": MANAGERS,
    "rosters.shift_delete": MANAGERS,
    "rosters.shift_new": MANAGERS,
    "rosters.import_staff": MANAGERS,
}


def objects(f, school) -> dict:
    from safetyops.rosters.models import RosterRun, Swap, Unavailability
    from safetyops.time import school_today

    day = school_today(school) + dt.timedelta(days=3)
    post = f.post(school)
    teacher = f.user("teacher", school)
    shift = f.shift(post, teacher, day, school=school)
    swap = Swap(school_id=school.id, shift_id=shift.id, from_user_id=teacher.id)
    run = RosterRun(school_id=school.id, starts_on=day, ends_on=day, report={})
    unav = Unavailability(school_id=school.id, user_id=teacher.id, starts_on=day, ends_on=day)
    db.session.add_all([swap, run, unav])
    db.session.flush()
    return {"shift_id": shift.id, "swap_id": swap.id, "post_id": post.id, "roster_run_id": run.id, "unav_id": unav.id,
            "feed_token": "not-a-valid-token"}
