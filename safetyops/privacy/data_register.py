"""The privacy notice and the information-security register (seed 000), generated from what the
app really does: the roles' permissions, the retention settings, the backup job, the orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..auth.roles import ROLE_LABELS, SCHOOL_ROLES, Role, has_perm
from ..extensions import db
from ..schools.models import Membership
from .permissions import security_appointments

CONFIDENTIAL = _l("Confidential: personal data")
INTERNAL = _l("Internal: school staff only")


@dataclass(frozen=True)
class Resource:
    key: str
    label: object
    level: object
    why: object
    #: Permissions (as strings) that let a role read it / change it.
    read: tuple[str, ...]
    write: tuple[str, ...]


RESOURCES = (
    Resource("staff", _l("Staff accounts: names, sign-in names, phone numbers"), CONFIDENTIAL,
             _l("Signing in; duty reminders and alerts by SMS"), ("staff.view",), ("staff.manage",)),
    Resource("gate", _l("Gate log: visitors' names, last 4 characters of the document, phones, photos with "
                        "consent"), CONFIDENTIAL, _l("Access control of the school's territory"),
             ("gate.report", "gate.log"), ("gate.log",)),
    Resource("watchlist", _l("Watchlist: people who must not be let in"), CONFIDENTIAL,
             _l("Protection of students (court and director's orders)"), ("gate.watchlist.view",), ("gate.manage",)),
    Resource("incidents", _l("Road incidents: a student's name only with the parents' written consent"),
             CONFIDENTIAL, _l("Registering and analysing road incidents, measures taken"),
             ("incidents.register",), ("incidents.register",)),
    Resource("injuries", _l("Injuries at school: the student's name only with the parent's written consent, the "
                            "injury and the first aid (health data)"), CONFIDENTIAL,
             _l("Registering accidents at school and the first aid given"), ("accidents.health",),
             ("accidents.health",)),
    Resource("squad", _l("Young traffic inspectors squad: students' names only with a parent's written consent"),
             CONFIDENTIAL, _l("The squad's work and the road-safety reports"), ("roadsafety.view",),
             ("roadsafety.manage",)),
    Resource("reunion", _l("Class lists for reunification: students; guardians only with their written consent; "
                           "who took which child after an evacuation"), CONFIDENTIAL,
             _l("Handing every child to a known adult after an evacuation"), ("drills.reunify", "drills.manage"),
             ("drills.manage", "drills.reunify")),
    Resource("messages", _l("SMS texts and phone numbers"), CONFIDENTIAL, _l("Reminders and alerts to staff"),
             ("messages.log",), ("messages.broadcast",)),
    Resource("audit", _l("Audit log: who did what, when, from where"), CONFIDENTIAL,
             _l("Integrity of the records; every read of personal data"), ("audit.view",), ()),
    Resource("consents", _l("Consent register and answers to personal-data requests"), CONFIDENTIAL,
             _l("Proof of written consent; the rights of the person"), ("privacy.manage",), ("privacy.manage",)),
    Resource("analysis", _l("Incident analysis and gate counts without names"), INTERNAL,
             _l("Reports to the district and the traffic police"), ("incidents.analyse", "gate.counts"), ()),
    Resource("structure", _l("Zones, responsible persons, checklists, drills, rosters"), INTERNAL,
             _l("Running the school's safety"), ("zones.view", "appointments.view"),
             ("zones.manage", "appointments.manage")),
)

READ_WRITE = _l("reads and changes")
READ = _l("reads")


def access_table(roles=None) -> list[tuple[Resource, list[tuple[Role, object]]]]:
    """For each resource, each role's access, from the app's role permissions (what the code enforces)."""
    roles = roles or [*SCHOOL_ROLES, Role.INSPECTOR]
    out = []
    for res in RESOURCES:
        cells = []
        for role in roles:
            if any(has_perm(role, p) for p in res.write):
                cells.append((role, READ_WRITE))
            elif any(has_perm(role, p) for p in res.read):
                cells.append((role, READ))
            else:
                cells.append((role, ""))
        out.append((res, cells))
    return out


def readers(res: Resource) -> list[object]:
    return [ROLE_LABELS[r] for r in [*SCHOOL_ROLES, Role.INSPECTOR] if any(has_perm(r, p) for p in res.read)]


# --- how long -------------------------------------------------------------------------------------------


def retention(school) -> dict[str, object]:
    from ..accidents.services import DEFAULT_INJURY_RETENTION_MONTHS
    from ..drills import reunion
    from ..gate.services import settings_for
    from ..incidents.services import retention_months
    from ..notifications import jobs as notification_jobs
    from ..roadsafety.services import DEFAULT_SQUAD_RETENTION_DAYS

    cfg = current_app.config
    sms_days = int(cfg.get("SMS_RETENTION_DAYS", notification_jobs.DEFAULT_RETENTION_DAYS) or 0)
    audit_days = int(cfg.get("AUDIT_RETENTION_DAYS") or 0)
    injury_months = int(cfg.get("ACCIDENTS_INJURY_RETENTION_MONTHS", DEFAULT_INJURY_RETENTION_MONTHS) or 0)
    squad_days = int(cfg.get("ROADSAFETY_SQUAD_RETENTION_DAYS", DEFAULT_SQUAD_RETENTION_DAYS) or 0)
    forever = _l("kept until removed")
    return {
        "staff": _l("while the person works at the school; erased on request after they leave"),
        "gate": _l("%(n)s days, then names, documents, phones and photos are wiped",
                   n=settings_for(school).retention_days),
        "watchlist": forever,
        "incidents": _l("the name and coordinates are wiped %(n)s months after the incident",
                        n=retention_months(school)),
        "injuries": _l("the name, the consent paper, the injury and the first aid are wiped %(n)s months after "
                       "the incident; the incident and the count stay", n=injury_months) if injury_months else forever,
        "squad": _l("the name is wiped when the student leaves the squad; the rest is deleted %(n)s days later",
                    n=squad_days) if squad_days else _l("the name is wiped when the student leaves the squad"),
        "reunion": _l("who took which child: %(n)s days; a child taken off the list loses the name and the "
                      "guardians after %(m)s days", n=reunion.HANDOVER_RETENTION_DAYS, m=reunion.LIST_RETENTION_DAYS),
        "messages": _l("%(n)s days", n=sms_days) if sms_days else forever,
        "audit": _l("%(n)s days", n=audit_days) if audit_days else forever,
        "consents": _l("while in force, and as proof after it is withdrawn"),
        "analysis": _l("no personal data"),
        "structure": forever,
    }


# --- who answers --------------------------------------------------------------------------------------


def contacts(school) -> dict:
    directors = list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                                        .where(Membership.school_id == school.id, Membership.role == Role.DIRECTOR,
                                               User.is_enabled.is_(True)).order_by(User.full_name)))
    return {"directors": directors, "appointments": security_appointments(school)}


# --- backups ------------------------------------------------------------------------------------------


@dataclass
class BackupInfo:
    schedule: str
    timezone: str
    keep: int
    folder: str
    is_sqlite: bool
    last_file: str
    last_dt: dt.datetime | None
    last_error: str


def backups() -> BackupInfo:
    from ..scheduler import jobs as scheduler_jobs
    from ..scheduler.models import SweepState

    cfg = current_app.config
    folder = Path(cfg.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups")
    is_sqlite = str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
    files = sorted(folder.glob("safetyops-*.sqlite3")) if folder.is_dir() else []
    newest = max(files, key=lambda p: p.stat().st_mtime, default=None)
    state = db.session.get(SweepState, getattr(scheduler_jobs, "DONE", "scheduler.nightly.done"))
    return BackupInfo(
        schedule=str(cfg.get("NIGHTLY_AT", "02:30")), timezone=cfg["DEFAULT_TIMEZONE"],
        keep=int(getattr(scheduler_jobs, "BACKUP_KEEP", 14)), folder=str(folder), is_sqlite=is_sqlite,
        last_file=newest.name if newest else "",
        last_dt=dt.datetime.fromtimestamp(newest.stat().st_mtime, dt.UTC) if newest else None,
        last_error=(state.last_error or "") if state is not None else "",
    )
