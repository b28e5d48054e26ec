"""Checkpoints and night rounds: the checkpoints' labels (a code and its QR link), a guard's scan, and each
round of a night with every checkpoint's result (done, late, missed or still due)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from ..time import local_to_utc, now_utc
from .models import Checkpoint, CheckpointScan, GateSettings
from .settings import local_now, parse_round_times, settings_for

#: A scan belongs to a round until the next round starts, the last one for this long.
LAST_ROUND_WINDOW = dt.timedelta(hours=3)

_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        if db.session.scalar(sa.select(Checkpoint.id).where(Checkpoint.code == code)
                             .execution_options(cross_school="codes are unique across schools")) is None:
            return code


def add_checkpoint(actor, school: School, *, name: str, zone_id: int | None = None) -> Checkpoint:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_l("Type the name."), "name")
    if zone_id:
        from ..schools.models import Zone

        if db.session.scalar(sa.select(Zone.id).where(Zone.id == zone_id, Zone.school_id == school.id)) is None:
            raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    position = (db.session.scalar(sa.select(sa.func.max(Checkpoint.position))
                                  .where(Checkpoint.school_id == school.id)) or 0) + 1
    cp = Checkpoint(school_id=school.id, name=name[:120], zone_id=zone_id or None, code=new_code(),
                    position=position)
    db.session.add(cp)
    db.session.flush()
    record(actor, school, "gate.checkpoint.create", cp)
    return cp


def active_checkpoints(school: School) -> list[Checkpoint]:
    return list(db.session.scalars(sa.select(Checkpoint).where(Checkpoint.school_id == school.id,
                                                              Checkpoint.is_active.is_(True))
                                   .order_by(Checkpoint.position, Checkpoint.id)))


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper().replace("-", "")[:12]


def checkpoint_by_code(school: School, code: str) -> Checkpoint:
    """The checkpoint of this school with this code, or a ServiceError saying what is wrong."""
    code = normalise_code(code)
    cp = db.session.scalar(sa.select(Checkpoint).where(Checkpoint.code == code).execution_options(
        cross_school="a code is unique across schools: another school's label is told apart")) if code else None
    if cp is None or not cp.is_active:
        raise ServiceError(_l("Unknown checkpoint code. Check the label and type it again."), "code")
    if cp.school_id != school.id:
        raise ServiceError(_l("This checkpoint belongs to another school."), "code")
    return cp


def record_scan(actor, school: School, cp: Checkpoint, *, method: str = "qr", client_id: str = "",
                now: dt.datetime | None = None) -> tuple[CheckpointScan, bool]:
    if cp.school_id != school.id:
        raise ServiceError(_l("This checkpoint belongs to another school."), "code")
    client_id = (client_id or "").strip()[:40] or secrets.token_hex(16)
    found = db.session.scalar(sa.select(CheckpointScan).where(CheckpointScan.school_id == school.id,
                                                              CheckpointScan.client_id == client_id))
    if found is not None:
        return found, False
    scan = CheckpointScan(school_id=school.id, checkpoint_id=cp.id, guard_id=getattr(actor, "id", None),
                          scanned_dt=now or now_utc(), method="code" if method == "code" else "qr",
                          client_id=client_id)
    try:
        with db.session.begin_nested():
            db.session.add(scan)
            db.session.flush()
    except IntegrityError:
        found = db.session.scalar(sa.select(CheckpointScan).where(CheckpointScan.school_id == school.id,
                                                                  CheckpointScan.client_id == client_id))
        if found is None:
            raise
        return found, False
    record(actor, school, "gate.round.scan", scan, detail=f"checkpoint={cp.id}")
    return scan, True


@dataclass
class RoundSlot:
    start: dt.datetime
    deadline: dt.datetime
    window_end: dt.datetime
    #: checkpoint -> (first scan in the window or None, "done" | "late" | "missed" | "due")
    results: list[tuple[Checkpoint, CheckpointScan | None, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for _cp, _scan, s in self.results if s == status)


def night_slots(school: School, night: dt.date, settings: GateSettings | None = None) -> list[RoundSlot]:
    """The rounds of the night starting on the evening of `night` (times before noon are the next morning)."""
    settings = settings or settings_for(school)
    starts = []
    for t in parse_round_times(settings.round_times):
        day = night if t >= dt.time(12) else night + dt.timedelta(days=1)
        starts.append(local_to_utc(day, t, school.timezone))
    grace = dt.timedelta(minutes=settings.round_grace_minutes)
    slots = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else start + max(LAST_ROUND_WINDOW, grace)
        slots.append(RoundSlot(start=start, deadline=start + grace, window_end=max(end, start + grace)))
    return slots


def night_rounds(school: School, night: dt.date, now: dt.datetime | None = None) -> list[RoundSlot]:
    """Each round of the night with every active checkpoint's result."""
    now = now or now_utc()
    slots = night_slots(school, night)
    if not slots:
        return []
    checkpoints = active_checkpoints(school)
    scans = list(db.session.scalars(
        sa.select(CheckpointScan).where(CheckpointScan.school_id == school.id,
                                        CheckpointScan.scanned_dt >= slots[0].start,
                                        CheckpointScan.scanned_dt < slots[-1].window_end)
        .order_by(CheckpointScan.scanned_dt)))
    for slot in slots:
        for cp in checkpoints:
            scan = next((s for s in scans if s.checkpoint_id == cp.id and slot.start <= s.scanned_dt < slot.window_end),
                        None)
            if scan is not None:
                status = "done" if scan.scanned_dt <= slot.deadline else "late"
            elif now < slot.deadline:
                status = "due"
            else:
                status = "missed"
            slot.results.append((cp, scan, status))
    return slots


def current_night(school: School, now: dt.datetime | None = None) -> dt.date:
    """The night a guard is walking now: before noon it is the night that began yesterday evening."""
    local = local_now(school, now)
    return local.date() - dt.timedelta(days=1) if local.time() < dt.time(12) else local.date()
