"""Reminder sweeps (run by the scheduler; idempotent through notify's keys, and they catch
up: everything is selected by "due before now", never by "due in the last minutes").

- window open, check not done → reminder to whom it falls;
- overdue → reminder to them; still overdue after ESCALATE_AFTER → the responsible person
  for the template's area; after twice that → the director;
- corrective action due today → assignee; past due → assignee, and after ACTION_ESCALATE_DAYS
  → the responsible person for its area.

Plain functions: `safetyops.scheduler.catalogue` lists the sweeps by name.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..auth.roles import Role
from ..extensions import db
from ..schools.models import School
from . import alerts, services
from .models import OPEN_STATUSES, CorrectiveAction
from .periods import Status

ESCALATE_AFTER = dt.timedelta(hours=2)
ACTION_ESCALATE_DAYS = 2


def _schools():
    return list(db.session.scalars(sa.select(School).order_by(School.id)))


def _place(due) -> str:
    s = due.schedule
    if s.asset is not None:
        return alerts.short_place(s.asset.code)
    return alerts.short_place(s.zone.name if s.zone else "")


def _local_time(value: dt.datetime, school) -> str:
    return value.astimezone(services.school_tz(school)).strftime("%H:%M")


def check_reminders(now: dt.datetime) -> int:
    queued = 0
    versions = services.current_versions()
    for school in _schools():
        today = now.astimezone(services.school_tz(school)).date()
        directors = services.users_with_role(school, Role.DIRECTOR)
        for due in services.current_dues(school, now):
            key = f"s{due.schedule.id}:{due.occurrence.start.isoformat()}"
            place = _place(due)
            if due.status == Status.DUE:
                queued += len(alerts.send(school, services.assignees(due.schedule, school, today), "insp.opens", key,
                                          {"place": place, "time": _local_time(due.occurrence.due_dt, school)}))
            elif due.status == Status.OVERDUE:
                people = services.assignees(due.schedule, school, today)
                queued += len(alerts.send(school, people, "insp.overdue", key, {"place": place}))
                late = now - due.occurrence.due_dt
                if late >= ESCALATE_AFTER:
                    version = versions.get(due.schedule.template_key)
                    area = version.content["area"] if version else None
                    responsible = services.responsible_people(school, area, today) if area else []
                    hours = int(late.total_seconds() // 3600)
                    queued += len(alerts.send(school, responsible, "insp.escalate", key + ":resp",
                                              {"place": place, "hours": hours}))
                    if late >= 2 * ESCALATE_AFTER:
                        queued += len(alerts.send(school, directors, "insp.escalate", key + ":dir",
                                                  {"place": place, "hours": hours}))
    return queued


def action_reminders(now: dt.datetime) -> int:
    queued = 0
    for school in _schools():
        today = now.astimezone(services.school_tz(school)).date()
        rows = db.session.scalars(sa.select(CorrectiveAction).where(
            CorrectiveAction.school_id == school.id, CorrectiveAction.status.in_(OPEN_STATUSES[:2]),
            CorrectiveAction.due_on <= today))
        for a in rows:
            key = f"a{a.id}"
            if a.due_on == today:
                queued += len(alerts.send(school, [a.assignee], "insp.action_due", key,
                                          {"num": a.id, "date": a.due_on.strftime("%d.%m")}))
                continue
            queued += len(alerts.send(school, [a.assignee], "insp.action_overdue", key, {"num": a.id}))
            if (today - a.due_on).days >= ACTION_ESCALATE_DAYS or a.assignee is None:
                queued += len(alerts.send(school, services.responsible_people(school, a.area, today),
                                          "insp.action_overdue", key + ":resp", {"num": a.id}))
    return queued


def checks_sweep(now: dt.datetime) -> int:
    n = check_reminders(now)
    db.session.commit()
    return n


def actions_sweep(now: dt.datetime) -> int:
    n = action_reminders(now)
    db.session.commit()
    return n
