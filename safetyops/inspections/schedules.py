"""Assets and check schedules: the school's equipment (found by its QR token), which checklist is run where
and how often, and whom a schedule's check falls to (the named person, the roster's person on duty, or
the schedule's role)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..errors_service import ServiceError
from ..extensions import db
from ..rosters.services import on_duty
from ..schools.models import Membership, Zone
from ..time import school_today
from .models import Asset, AssigneeKind, Schedule
from .versions import ensure_templates


def save_asset(actor, school, asset: Asset | None, **fields) -> Asset:
    code = fields["code"].strip()
    clash = db.session.scalar(sa.select(Asset.id).where(Asset.school_id == school.id, Asset.code == code,
                                                        Asset.id != (asset.id if asset else -1)))
    if clash is not None:
        raise ServiceError(_l("An asset with this code already exists."), "code")
    zone_id = fields.get("zone_id") or None
    if zone_id and school_zone(school, zone_id) is None:
        raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    creating = asset is None
    if creating:
        asset = Asset(school_id=school.id)
        db.session.add(asset)
    asset.code = code
    asset.zone_id = zone_id
    for key in ("asset_type", "description", "capacity", "serial", "commissioned_on", "last_service_on",
                "next_service_on", "is_active"):
        if key in fields:
            value = fields[key]
            setattr(asset, key, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    record(actor, school, "asset.create" if creating else "asset.update", asset)
    return asset


def school_zone(school, zone_id) -> Zone | None:
    return db.session.scalar(sa.select(Zone).where(Zone.school_id == school.id, Zone.id == zone_id))


def asset_by_token(school, token: str) -> Asset | None:
    return db.session.scalar(sa.select(Asset).where(Asset.school_id == school.id, Asset.token == token))


def save_schedule(actor, school, schedule: Schedule | None, **fields) -> Schedule:
    versions = ensure_templates()
    key = fields["template_key"]
    version = versions.get(key)
    if version is None:
        raise ServiceError(_l("Unknown checklist."), "template_key")
    applies = version.content["applies_to"]
    zone_id, asset_id = fields.get("zone_id") or None, fields.get("asset_id") or None
    if "asset_types" in applies:
        asset = db.session.scalar(sa.select(Asset).where(Asset.school_id == school.id, Asset.id == asset_id)) \
            if asset_id else None
        if asset is None:
            raise ServiceError(_l("This checklist is for equipment: choose an asset."), "asset_id")
        if asset.asset_type not in applies["asset_types"]:
            raise ServiceError(_l("This checklist does not apply to this kind of equipment."), "asset_id")
        zone_id = None
    else:
        zone = school_zone(school, zone_id) if zone_id else None
        if zone is None:
            raise ServiceError(_l("This checklist is for a zone: choose a zone."), "zone_id")
        if zone.kind not in applies["zone_kinds"]:
            raise ServiceError(_l("This checklist does not apply to this kind of zone."), "zone_id")
        asset_id = None
    opens, due = fields["opens_time"], fields["due_time"]
    if due <= opens:
        raise ServiceError(_l("The due time must be later than the opening time."), "due_time")
    kind = AssigneeKind(fields["assignee_kind"])
    person_id = fields.get("assignee_user_id") or None
    if kind is AssigneeKind.PERSON:
        member = db.session.scalar(sa.select(Membership.id).where(Membership.school_id == school.id,
                                                                  Membership.user_id == person_id)) \
            if person_id else None
        if member is None:
            raise ServiceError(_l("Choose a person who works at this school."), "assignee_user_id")
    else:
        person_id = None
    creating = schedule is None
    if creating:
        schedule = Schedule(school_id=school.id)
        db.session.add(schedule)
    schedule.template_key = key
    schedule.zone_id, schedule.asset_id = zone_id, asset_id
    schedule.frequency = fields["frequency"]
    schedule.opens_time, schedule.due_time = opens, due
    schedule.assignee_kind = kind
    schedule.assignee_role = fields.get("assignee_role") or version.content["default_assignee_role"]
    schedule.assignee_user_id = person_id
    schedule.starts_on = fields.get("starts_on") or school_today(school)
    schedule.is_active = bool(fields.get("is_active", True))
    db.session.flush()
    record(actor, school, "schedule.create" if creating else "schedule.update", schedule)
    return schedule


def schedule_from_template(actor, school, key: str, *, zone=None, asset=None, **overrides) -> Schedule:
    """A schedule with the template's own frequency, window and default role."""
    version = ensure_templates()[key]
    c = version.content
    return save_schedule(actor, school, None, **{
        "template_key": key, "zone_id": zone.id if zone else None, "asset_id": asset.id if asset else None,
        "frequency": c["frequency"],
        "opens_time": dt.time.fromisoformat(c["window"]["opens"]),
        "due_time": dt.time.fromisoformat(c["window"]["due"]),
        "assignee_kind": AssigneeKind.ROLE, "assignee_role": c["default_assignee_role"], **overrides})


def users_with_role(school, role: str) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, Membership.role == role, User.is_enabled.is_(True))
        .order_by(User.id)))


def on_duty_staff(school, day: dt.date, zone_id: int | None) -> list[User]:
    """Who the rosters have on published duty on `day` (at the zone's posts when `zone_id` is given)."""
    return on_duty(school, day, zone_id=zone_id)


def assignees(schedule: Schedule, school, day: dt.date) -> list[User]:
    """Who the check falls to on `day`."""
    if schedule.assignee_kind == AssigneeKind.PERSON:
        return [schedule.assignee_user] if schedule.assignee_user is not None else []
    if schedule.assignee_kind == AssigneeKind.ON_DUTY:
        zone = schedule.place_zone
        found = on_duty_staff(school, day, zone.id if zone else None)
        if found:
            return found
    return users_with_role(school, schedule.assignee_role)


def assignee_label(schedule: Schedule) -> str:
    """Whom the schedule names, in words: the person, or the role (and the roster first)."""
    from ..auth.roles import ROLE_LABELS

    try:
        role = ROLE_LABELS[Role(schedule.assignee_role)]
    except ValueError:
        role = schedule.assignee_role
    if schedule.assignee_kind == AssigneeKind.PERSON:
        return schedule.assignee_user.full_name if schedule.assignee_user is not None else "—"
    if schedule.assignee_kind == AssigneeKind.ON_DUTY:
        return str(_l("On duty in the zone by the roster; else: %(role)s", role=role))
    return str(role)
