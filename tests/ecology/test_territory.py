"""The greening plan goes with the territory checks that already exist: the ecology page lists the last
finished checks of the grounds (the guard's morning round) with how many items failed, each opening the run;
another school's runs never."""

from __future__ import annotations

import datetime as dt
import uuid

import time_machine

from safetyops.ecology import services
from safetyops.extensions import db
from safetyops.inspections import services as insp
from safetyops.inspections.models import RunStatus

NOW = dt.datetime(2026, 11, 17, 2, 0, tzinfo=dt.UTC)  # 08:00 in Bishkek


def _round(f, school, fail_first: bool):  # the first item failed
    guard = f.user("guard", school)
    sched = f.schedule("territory_daily_guard", school=school, starts_on=dt.date(2026, 11, 16))
    run = insp.start_run(guard, school, sched)
    to_fail = run.version.items[0]["id"]
    for item in run.version.items:
        result = "fail" if fail_first and item["id"] == to_fail else "pass"
        insp.tick(
            guard,
            school,
            run,
            item_id=item["id"],
            result=result,
            note="Тосмодо тешик" if result == "fail" else "",
            client_uuid=str(uuid.uuid4()),
        )
    run.status, run.finished_dt = RunStatus.DONE, NOW  # finished (the failed item's photo is not the point)
    db.session.flush()
    return run


def test_the_ecology_page_lists_the_territory_checks(client, f, as_role):
    with time_machine.travel(NOW, tick=False):
        run = _round(f, f.school_a, fail_first=True)
        other = _round(f, f.school_b, fail_first=False)
        assert services.territory_checks(f.school_a) == [(run.id, run.finished_dt, 1)]
        as_role("director")
        page = client.get("/ecology").get_data(as_text=True)
        assert f'href="/inspections/runs/{run.id}"' in page and "1 item failed" in page
        assert f"/inspections/runs/{other.id}" not in page
