"""Runs: starting (or resuming) the check of a schedule's current period, ticking its items (a failed item
owns one corrective action), the photo of a failed item, and finishing the run."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.calendar import calendar_for
from ..time import now_utc
from .actions import open_action
from .common import Refused, clean_uuid, school_tz
from .models import ActionSource, ActionStatus, Answer, CorrectiveAction, Frequency, Result, Run, RunStatus, Schedule
from .periods import current_occurrence
from .versions import ensure_templates


def start_run(actor, school, schedule: Schedule, *, now: dt.datetime | None = None, qr: bool = False) -> Run:
    """Open (or resume) the run of the schedule's current period."""
    now = now or now_utc()
    if not schedule.is_active:
        raise ServiceError(_l("This check is paused."))
    today = now.astimezone(school_tz(school)).date()
    occ = current_occurrence(schedule, today, school.timezone,
                             calendar_for(school) if schedule.frequency == Frequency.SCHOOL_DAYS else None)
    if occ is None:
        raise ServiceError(_l("This check is not due today."))
    run = db.session.scalar(sa.select(Run).where(Run.school_id == school.id, Run.schedule_id == schedule.id,
                                                 Run.period_start == occ.start))
    if run is None:
        version = ensure_templates().get(schedule.template_key)
        if version is None:
            raise ServiceError(_l("Unknown checklist."))
        run = Run(school_id=school.id, schedule_id=schedule.id, period_start=occ.start, version_id=version.id,
                  zone_id=schedule.zone_id or (schedule.asset.zone_id if schedule.asset else None),
                  asset_id=schedule.asset_id, started_by_id=actor.id, started_dt=now, is_qr_verified=qr)
        try:
            with db.session.begin_nested():
                db.session.add(run)
        except IntegrityError:  # another phone started it at the same moment
            run = db.session.scalar(sa.select(Run).where(Run.schedule_id == schedule.id,
                                                         Run.period_start == occ.start))
        else:
            record(actor, school, "run.start", run, detail="qr" if qr else "")
    if qr and not run.is_qr_verified and not run.is_done:
        run.is_qr_verified = True
        record(actor, school, "run.qr_verified", run)
    return run


def tick(actor, school, run: Run, *, item_id: str, result: str, note: str = "", client_uuid: str | None = None,
         photo=None, now: dt.datetime | None = None) -> Answer:
    """Store the answer to one item.  The same client_uuid again changes nothing."""
    now = now or now_utc()
    client_uuid = clean_uuid(client_uuid)
    seen = db.session.scalar(sa.select(Answer).where(Answer.school_id == school.id, Answer.client_uuid == client_uuid))
    if seen is not None:
        if seen.run_id != run.id:
            raise Refused(_l("This answer belongs to another check."), status=409)
        return seen
    if run.is_done:
        raise Refused(_l("This check is finished; answers can no longer change."), status=409)
    item = run.version.item(item_id)
    if item is None:
        raise Refused(_l("Unknown item."), "item_id", status=404)
    try:
        result = Result(result)
    except ValueError:
        raise Refused(_l("Choose Pass, Fail or N/A."), "result") from None
    note = (note or "").strip()[:500]
    if result is Result.FAIL and not note:
        raise Refused(_l("Say what is wrong."), "note")
    answer = db.session.scalar(sa.select(Answer).where(Answer.school_id == school.id, Answer.run_id == run.id,
                                                       Answer.item_id == item_id))
    if answer is None:
        answer = Answer(school_id=school.id, run_id=run.id, item_id=item_id)
        db.session.add(answer)
    answer.result = result
    answer.note = note if result is Result.FAIL else ""
    answer.client_uuid = client_uuid
    answer.answered_by_id = actor.id
    answer.answered_dt = now
    if photo is not None:
        answer.photo_id = photo.id
    if result is not Result.FAIL:
        answer.photo_id = None
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same tick arrived twice at once
        db.session.expire_all()
        same = db.session.scalar(sa.select(Answer).where(Answer.client_uuid == client_uuid))
        if same is not None:
            return same
        raise Refused(_l("Someone changed this answer at the same moment; try again."), status=409) from None
    _sync_action(actor, school, run, answer, item, now)
    return answer


def _sync_action(actor, school, run: Run, answer: Answer, item: dict, now) -> None:
    """A failed item owns one corrective action; a mis-tap corrected at once removes it."""
    action = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id,
                                                                 CorrectiveAction.answer_id == answer.id))
    lang = school.default_locale
    if answer.result is Result.FAIL:
        if action is None:
            wording = item.get("deficiency") or item["text"]
            open_action(actor, school, title=wording.get(lang) or wording["ru"],
                        severity=item["severity"], area=item.get("area") or run.version.content["area"],
                        zone_id=run.zone_id,
                        description=answer.note, source=ActionSource.FAILED_ITEM, asset_id=run.asset_id,
                        run=run, answer=answer, photo_id=answer.photo_id, now=now)
        else:
            action.description = answer.note
            if answer.photo_id:
                action.photo_id = answer.photo_id
    elif action is not None and action.status == ActionStatus.OPEN and not action.comments:
        db.session.delete(action)
        record(actor, school, "action.withdraw", run, detail=f"item={answer.item_id}")


def run_progress(run: Run) -> tuple[int, int]:
    return len(run.answers), len(run.version.items)


def missing_photos(run: Run) -> list[dict]:
    by_id = {a.item_id: a for a in run.answers}
    return [i for i in run.version.items
            if i["photo_on_fail"] and (a := by_id.get(i["id"])) is not None and a.result == Result.FAIL
            and a.photo_id is None]


def add_answer_photo(actor, school, run: Run, item_id: str, photo) -> Answer:
    if run.is_done:
        raise Refused(_l("This check is finished; answers can no longer change."), status=409)
    answer = db.session.scalar(sa.select(Answer).where(Answer.run_id == run.id, Answer.item_id == item_id))
    if answer is None or answer.result != Result.FAIL:
        raise Refused(_l("Unknown item."), "item_id", status=404)
    answer.photo_id = photo.id
    action = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.answer_id == answer.id))
    if action is not None:
        action.photo_id = photo.id
    return answer


def finish_run(actor, school, run: Run, *, now: dt.datetime | None = None) -> Run:
    if run.is_done:
        raise Refused(_l("This check is already finished."), status=409)
    answered = {a.item_id for a in run.answers}
    left = [i for i in run.version.items if i["id"] not in answered]
    if left:
        raise Refused(_l("Answer every item first (%(n)s left).", n=len(left)), status=409)
    if missing_photos(run):
        raise Refused(_l("Add a photo for each failed item that needs one."), status=409)
    run.status = RunStatus.DONE
    run.finished_dt = now or now_utc()
    run.finished_by_id = actor.id
    record(actor, school, "run.finish", run)
    return run
