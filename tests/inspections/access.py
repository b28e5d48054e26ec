"""Access table for the inspections area (see tests/test_access_matrix.py)."""

from __future__ import annotations

import io

from PIL import Image
from werkzeug.datastructures import FileStorage

from safetyops.auth.roles import SCHOOL_ROLES, Role
from tests.access_common import ALL

STAFF = frozenset(SCHOOL_ROLES)
MANAGE = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
EXPORT = MANAGE | {Role.INSPECTOR}

MATRIX = {
    "inspections.checks": STAFF,
    "inspections.start": STAFF,
    "inspections.qr": STAFF,
    "inspections.run": ALL,
    "inspections.answer": STAFF,
    "inspections.finish": STAFF,
    "inspections.walk": STAFF,
    "inspections.answer_due": STAFF,
    "inspections.finish_due": STAFF,
    "inspections.run_pdf": ALL,
    "inspections.runs": ALL,
    "inspections.photo": STAFF,
    "inspections.assets": ALL,
    "inspections.asset": ALL,
    "inspections.asset_edit": MANAGE,
    "inspections.labels": MANAGE,
    "inspections.schedules": MANAGE,
    "inspections.schedule_edit": MANAGE,
    "inspections.actions": ALL,
    "inspections.action": ALL,
    "inspections.action_status": STAFF,
    "inspections.action_comment": STAFF,
    "inspections.action_assign": MANAGE,
    "inspections.hazard": STAFF,
    "inspections.overdue": ALL,
    "inspections.export": EXPORT,
}

#: The QR URL starts the check and redirects to it.
EXPECT = {"inspections.qr": 302}


def png_bytes(size=(40, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def objects(f, school) -> dict:
    import datetime as dt

    from safetyops.inspections import photos, services
    from safetyops.inspections.models import RunStatus
    from safetyops.time import now_utc, school_today

    zone = f.zone(school)
    asset = f.asset(school, zone=zone, asset_type="fire_alarm_panel")
    start = school_today(school) - dt.timedelta(days=400)
    schedule = f.schedule("fire_alarm_monthly", school=school, asset=asset, starts_on=start)
    walk = f.schedule("territory_daily_guard", school=school, starts_on=start)
    run = services.start_run(f.user("guard", school), school, walk)
    run.status, run.finished_dt = RunStatus.DONE, now_utc()
    photo = photos.save_photo(None, school, FileStorage(io.BytesIO(png_bytes()), "x.png"))
    action = services.open_action(None, school, title="Blocked exit", severity="major", area="fire_safety",
                                  zone_id=zone.id, photo_id=photo.id)
    from safetyops.extensions import db

    db.session.commit()  # a view's rollback after bad input must not undo these (test savepoint only)
    return {"schedule_id": schedule.id, "run_id": run.id, "asset_id": asset.id, "asset_token": asset.token,
            "photo_id": photo.id, "action_id": action.id}
