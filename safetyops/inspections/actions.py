"""Corrective actions: opening one (a hazard report, a failed item, a drill's finding) with its assignee and
due date, the urgent alert of a critical one, who may work on and verify it, its steps, comments and
assignee, the open ones' query and order, and its title in the reader's language."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..database import unit_memo
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import Area, Membership, Zone
from ..scoping import cross_school, owned
from ..time import now_utc
from . import alerts
from .common import clean_uuid, school_tz
from .models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    ActionComment,
    ActionSource,
    ActionStatus,
    Answer,
    ChecklistVersion,
    CorrectiveAction,
    Run,
    Severity,
    pick_text,
)
from .permissions import ALERT_ROLES, MANAGER_ROLES
from .schedules import school_zone, users_with_role
from .versions import current_versions

#: Days to fix a deficiency, by severity.
DUE_DAYS = {Severity.CRITICAL: 1, Severity.MAJOR: 7, Severity.MINOR: 30}


def responsible_people(school, area: str, day: dt.date) -> list[User]:
    from ..schools.services import responsible_for

    try:
        area = Area(area)
    except ValueError:
        return []
    return responsible_for(school, area, day)


def default_assignee(school, area: str, day: dt.date) -> User | None:
    people = responsible_people(school, area, day)
    return people[0] if people else None


def open_action(actor, school, *, title: str, severity: str, area: str, zone_id: int | None = None,
                description: str = "", source: str = "hazard", asset_id: int | None = None, run: Run | None = None,
                answer: Answer | None = None, photo_id: int | None = None, client_uuid: str | None = None,
                now: dt.datetime | None = None) -> CorrectiveAction:
    """Open a corrective action: assignee = the responsible person for the area, due date by
    severity; a critical one alerts the safety officer and the director (urgent SMS)."""
    now = now or now_utc()
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("Say what is wrong."), "title")
    try:
        severity = Severity(severity)
    except ValueError:
        raise ServiceError(_l("Choose how serious it is."), "severity") from None
    try:
        area = Area(area)
    except ValueError:
        raise ServiceError(_l("Choose an area."), "area") from None
    if zone_id and school_zone(school, zone_id) is None:
        raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    if client_uuid:
        client_uuid = clean_uuid(client_uuid)
        seen = db.session.scalar(sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id,
                                                                   CorrectiveAction.client_uuid == client_uuid))
        if seen is not None:
            if seen.school_id != school.id:
                raise ServiceError(_l("This report belongs to another school."))
            return seen
    today = now.astimezone(school_tz(school)).date()
    assignee = default_assignee(school, area, today)
    action = CorrectiveAction(
        school_id=school.id, title=title[:200], description=(description or "").strip(), severity=severity,
        area=area, zone_id=zone_id or None, asset_id=asset_id, run_id=run.id if run else None,
        answer_id=answer.id if answer else None, source=ActionSource(source), status=ActionStatus.OPEN,
        assignee_id=assignee.id if assignee else None, created_by_id=getattr(actor, "id", None), created_dt=now,
        due_on=today + dt.timedelta(days=DUE_DAYS[severity]), photo_id=photo_id, client_uuid=client_uuid)
    db.session.add(action)
    db.session.flush()
    record(actor, school, "action.open", action, detail=f"severity={severity.value} source={source}")
    if severity is Severity.CRITICAL:
        alert_critical(school, action)
    return action


def alert_critical(school, action: CorrectiveAction) -> list:
    people = [u for role in ALERT_ROLES for u in users_with_role(school, role)]
    zone = owned(Zone, action.zone_id, school) if action.zone_id else None
    place = alerts.short_place(zone.name if zone else action.title)
    return alerts.send(school, people, "insp.critical", f"action{action.id}", {"place": place}, urgent=True)


def can_verify(user, role, school, action: CorrectiveAction, day: dt.date) -> bool:
    if role in (Role.DIRECTOR, Role.ADMIN):
        return True
    from ..schools.services import responsible_for

    return any(u.id == user.id for u in responsible_for(school, action.area, day))


def can_work_on(user, role, action: CorrectiveAction) -> bool:
    return action.assignee_id == user.id or role in MANAGER_ROLES


#: status -> statuses it may move to.
TRANSITIONS = {
    ActionStatus.OPEN: {ActionStatus.IN_PROGRESS, ActionStatus.FIXED},
    ActionStatus.IN_PROGRESS: {ActionStatus.FIXED},
    ActionStatus.FIXED: {ActionStatus.VERIFIED, ActionStatus.IN_PROGRESS},
    ActionStatus.VERIFIED: set(),
}


def set_action_status(actor, role, school, action: CorrectiveAction, new_status: str, *, note: str = "",
                      photo=None, now: dt.datetime | None = None) -> CorrectiveAction:
    now = now or now_utc()
    try:
        new_status = ActionStatus(new_status)
    except ValueError:
        raise ServiceError(_l("Unknown status."), "status") from None
    if new_status not in TRANSITIONS[action.status]:
        raise ServiceError(_l("This step is not possible now."), "status")
    today = now.astimezone(school_tz(school)).date()
    if new_status is ActionStatus.VERIFIED or (action.status == ActionStatus.FIXED
                                              and new_status is ActionStatus.IN_PROGRESS):
        if not can_verify(actor, role, school, action, today):
            raise ServiceError(_l("Only the responsible person or the director can verify."), "status")
    elif not can_work_on(actor, role, action):
        raise ServiceError(_l("Only the assignee or a manager can change this."), "status")
    note = (note or "").strip()[:1000]
    if new_status is ActionStatus.FIXED:
        if photo is None and not note:
            raise ServiceError(_l("Add a photo or a note that shows the fix."), "note")
        action.fixed_dt = now
        if photo is not None:
            action.fixed_photo_id = photo.id
    if new_status is ActionStatus.VERIFIED:
        action.verified_dt, action.verified_by_id = now, actor.id
    if new_status is ActionStatus.IN_PROGRESS and action.status == ActionStatus.FIXED:
        action.fixed_dt = None
    action.status = new_status
    db.session.add(ActionComment(school_id=school.id, action_id=action.id, user_id=actor.id, text=note,
                                 new_status=new_status.value, created_dt=now))
    record(actor, school, f"action.{new_status.value}", action)
    return action


def comment(actor, school, action: CorrectiveAction, text: str) -> ActionComment:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_l("Write a comment."), "text")
    c = ActionComment(school_id=school.id, action_id=action.id, user_id=actor.id, text=text[:1000])
    db.session.add(c)
    record(actor, school, "action.comment", action)
    return c


def reassign(actor, school, action: CorrectiveAction, user_id: int | None) -> None:
    if user_id:
        member = db.session.scalar(sa.select(Membership.id).where(Membership.school_id == school.id,
                                                                  Membership.user_id == user_id))
        if member is None:
            raise ServiceError(_l("Choose a person who works at this school."), "assignee_id")
    action.assignee_id = user_id or None
    record(actor, school, "action.assign", action, detail=f"to={user_id}")


def open_actions_query(school, *, zone_id=None, area=None, assignee_id=None):
    q = sa.select(CorrectiveAction).where(CorrectiveAction.school_id == school.id,
                                          CorrectiveAction.status.in_(OPEN_STATUSES))
    if zone_id:
        q = q.where(CorrectiveAction.zone_id == zone_id)
    if area:
        q = q.where(CorrectiveAction.area == area)
    if assignee_id:
        q = q.where(CorrectiveAction.assignee_id == assignee_id)
    return q


@cross_school("ids of actions already read through a scoped query")
def deficiency_texts(action_ids) -> dict[int, dict | None]:
    """The deficiency wording (four languages) of each failed-item action, in three queries: the
    item of the run's checklist version, else of the current version of that checklist."""
    if not action_ids:
        return {}
    rows = db.session.execute(
        sa.select(CorrectiveAction.id, Run.version_id, Answer.item_id)
        .join(Answer, Answer.id == CorrectiveAction.answer_id).join(Run, Run.id == Answer.run_id)
        .where(CorrectiveAction.id.in_(sorted(action_ids)))).all()
    found: dict[int, dict | None] = dict.fromkeys(action_ids)
    if not rows:
        return found
    versions = {v.id: v for v in db.session.scalars(
        sa.select(ChecklistVersion).where(ChecklistVersion.id.in_(sorted({r.version_id for r in rows}))))}
    current = None
    for action_id, version_id, item_id in rows:
        version = versions.get(version_id)
        item = version.item(item_id) if version is not None else None
        if (item is None or not item.get("deficiency")) and version is not None:
            if current is None:
                current = current_versions()
            latest = current.get(version.template_key)
            item = latest.item(item_id) if latest is not None else None
        found[action_id] = (item or {}).get("deficiency") or None
    return found


def action_title(action: CorrectiveAction, lang: str) -> str:
    """The action's title in `lang`: a failed item's deficiency wording in the reader's language; a
    hazard report's own words.  On the first call of a request, the wordings of every action the
    session holds are read at once (a list page costs three queries, not three per row)."""
    if action.answer_id is None:
        return action.title
    memo = unit_memo()
    cache: dict = memo.setdefault("inspections.deficiency", {}) if memo is not None else {}
    if action.id not in cache:
        held = {o.id for o in list(db.session.identity_map.values())
                if isinstance(o, CorrectiveAction) and o.answer_id is not None and o.id not in cache}
        cache.update(deficiency_texts(held | {action.id}))
    texts = cache.get(action.id)
    return pick_text(texts, lang) if texts else action.title


def sorted_actions(actions) -> list[CorrectiveAction]:
    """Most severe first, then oldest first."""
    return sorted(actions, key=lambda a: (SEVERITY_RANK[a.severity], a.created_dt, a.id))
