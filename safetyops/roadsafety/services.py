"""The squad's members and the road-safety events."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..drills.models import SchoolClass
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from ..time import school_today
from ..uploads import clean_image, has_upload
from .models import EventKind, MaterialKind, RoadEvent, RoadMaterial, SquadMember


def classes(school: School) -> list[SchoolClass]:
    return list(db.session.scalars(sa.select(SchoolClass).where(SchoolClass.school_id == school.id)
                                   .order_by(SchoolClass.grade, SchoolClass.name)))


def members(school: School, current: bool = True) -> list[SquadMember]:
    q = sa.select(SquadMember).where(SquadMember.school_id == school.id)
    q = q.where(SquadMember.left_on.is_(None)) if current else q.where(SquadMember.left_on.is_not(None))
    return list(db.session.scalars(q.options(sa.orm.joinedload(SquadMember.klass))
                                   .order_by(SquadMember.is_leader.desc(), SquadMember.student_name)))


def add_member(actor: User | None, school: School, *, student_name: str, class_id: int | None, is_leader: bool,
               consent_paper: str, joined_on: dt.date) -> SquadMember:
    if not (consent_paper or "").strip():
        raise ServiceError(_l("A student is named only with a parent's written consent: name the paper."),
                           "consent_paper")
    if class_id is not None and class_id not in {c.id for c in classes(school)}:
        raise ServiceError(_l("Choose a class of this school."), "class_id")
    if is_leader:
        for m in members(school):
            m.is_leader = False
    row = SquadMember(school_id=school.id, student_name=student_name.strip()[:120], class_id=class_id,
                      is_leader=is_leader, consent_paper=consent_paper.strip()[:80], joined_on=joined_on)
    db.session.add(row)
    db.session.flush()
    record(actor, school, "roadsafety.member_added", row)
    return row


def member_left(actor: User | None, school: School, member: SquadMember) -> None:
    """The student left the squad (or the consent was withdrawn): the name is no longer kept."""
    member.left_on = school_today(school)
    member.student_name = "—"
    member.is_leader = False
    record(actor, school, "roadsafety.member_left", member)


def add_event(actor: User | None, school: School, *, kind: str, held_on: dt.date, topic: str, participants: str,
              participants_count: int | None, result: str, act_number: str, photo=None) -> RoadEvent:
    if held_on > school_today(school):
        raise ServiceError(_l("This day has not come yet."), "held_on")
    data = clean_image(photo, field="photo").data if has_upload(photo) else None
    row = RoadEvent(school_id=school.id, kind=EventKind(kind), held_on=held_on, topic=topic.strip()[:200],
                    participants=(participants or "").strip()[:300], participants_count=participants_count,
                    result=(result or "").strip()[:300], act_number=(act_number or "").strip()[:40], photo=data,
                    recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, school, "roadsafety.event", row)
    return row


def events(school: School, kind: str | None = None, limit: int = 100) -> list[RoadEvent]:
    q = sa.select(RoadEvent).where(RoadEvent.school_id == school.id)
    if kind in {k.value for k in EventKind}:
        q = q.where(RoadEvent.kind == EventKind(kind))
    return list(db.session.scalars(q.order_by(RoadEvent.held_on.desc(), RoadEvent.id.desc()).limit(limit)))


def has_photo(school: School, event_ids: list[int]) -> set[int]:
    if not event_ids:
        return set()
    return set(db.session.scalars(sa.select(RoadEvent.id).where(RoadEvent.school_id == school.id,
                                                                RoadEvent.id.in_(event_ids),
                                                                RoadEvent.photo.is_not(None))))


def add_material(actor: User | None, school: School, *, kind: str, title: str, quantity: int | None,
                 kept_where: str, added_on: dt.date) -> RoadMaterial:
    """A teaching material the school keeps (the road-safety corner, posters, literature, films, games)."""
    if added_on > school_today(school):
        raise ServiceError(_l("This day has not come yet."), "added_on")
    row = RoadMaterial(school_id=school.id, kind=MaterialKind(kind), title=title.strip()[:200], quantity=quantity,
                       kept_where=(kept_where or "").strip()[:120], added_on=added_on,
                       recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(actor, school, "roadsafety.material", row)
    return row


def materials(school: School) -> list[RoadMaterial]:
    return list(db.session.scalars(sa.select(RoadMaterial).where(RoadMaterial.school_id == school.id)
                                   .order_by(RoadMaterial.kind, RoadMaterial.title, RoadMaterial.id)))


# --- retention ---------------------------------------------------------------------------------------

#: A member who left the squad is deleted this many days after leaving (config
#: ROADSAFETY_SQUAD_RETENTION_DAYS; 0 keeps them).  The name is erased already on the day they leave;
#: the row (class, consent paper, dates) stays for the squad's year in the report, then goes.
DEFAULT_SQUAD_RETENTION_DAYS = 365


def purge_left_members(now: dt.datetime, days: int) -> int:
    """Delete squad members who left more than `days` days ago (idempotent); erase any name still kept on a
    member who left.  Returns how many rows were deleted."""
    if days <= 0:
        return 0
    db.session.execute(sa.update(SquadMember).where(SquadMember.left_on.is_not(None),
                                                    SquadMember.student_name != "—")
                       .values(student_name="—", is_leader=False))
    cutoff = now.date() - dt.timedelta(days=days)
    deleted = 0
    for school in db.session.scalars(sa.select(School).order_by(School.id)).all():  # each school's own rows
        ids = list(db.session.scalars(sa.select(SquadMember.id).where(SquadMember.school_id == school.id,
                                                                       SquadMember.left_on < cutoff)))
        if not ids:
            continue
        db.session.execute(sa.delete(SquadMember).where(SquadMember.id.in_(ids)))
        record(None, school, "roadsafety.retention",
               detail=f"members deleted={len(ids)} left before={cutoff.isoformat()}")
        deleted += len(ids)
    return deleted
