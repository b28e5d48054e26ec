"""The shared gate phone: the guard's PIN, unlocking (the PIN's or the password's hash, wrong tries counted),
and the phone's shifts (a guard signing in ends the other guard's shift on it; the lock is kept on the shift's
row)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import School
from ..scoping import cross_school
from ..security import hash_password, verify_password
from ..time import now_utc
from .models import GatePin, GateShift

#: Wrong PINs in a row before the password is needed again.
MAX_PIN_FAILURES = 5


def set_pin(actor, school: School, pin: str, pin_hash: str | None = None) -> None:
    """The guard's PIN.  Pass `pin_hash=hash_password(pin)` made with no transaction open (the view
    hashes before it begins its write), or it is hashed here."""
    pin = (pin or "").strip()
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise ServiceError(_l("The PIN is 4 to 8 digits."), "pin")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ServiceError(_l("This PIN is too easy to guess."), "pin")
    pin_hash = pin_hash or hash_password(pin)
    row = db.session.scalar(sa.select(GatePin).where(GatePin.school_id == school.id, GatePin.user_id == actor.id))
    if row is None:
        row = GatePin(school_id=school.id, user_id=actor.id, pin_hash="")
        db.session.add(row)
    row.pin_hash = pin_hash
    row.failed_count = 0
    row.set_dt = now_utc()
    record(actor, school, "gate.pin.set", actor)


def has_pin(user, school: School) -> bool:
    return db.session.scalar(sa.select(GatePin.id).where(GatePin.school_id == school.id,
                                                         GatePin.user_id == user.id)) is not None


def unlock_hash(user, school: School) -> str:
    """Step 1 of unlocking (a read): the hash to check, the PIN's or else the password's."""
    row = db.session.scalar(sa.select(GatePin.pin_hash).where(GatePin.school_id == school.id,
                                                              GatePin.user_id == user.id))
    return row if row is not None else user.password_hash


def finish_unlock(user, school: School, ok: bool) -> bool | None:
    """Step 3 of unlocking (a write), after `verify_password` ran with no transaction open.
    True: unlocked.  False: wrong.  None: too many wrong tries (the session must end)."""
    row = db.session.scalar(sa.select(GatePin).where(GatePin.school_id == school.id, GatePin.user_id == user.id))
    if ok:
        if row is not None:
            row.failed_count = 0
        record(user, school, "gate.unlock", user)
        return True
    if row is None:
        record(user, school, "gate.unlock_failed", user)
        return False
    row.failed_count += 1
    record(user, school, "gate.unlock_failed", user, detail=f"count={row.failed_count}")
    if row.failed_count >= MAX_PIN_FAILURES:
        row.failed_count = 0
        return None
    return False


def check_unlock(user, school: School, secret: str) -> bool | None:
    """The three steps of unlocking in one call (the view runs them apart, around its commits)."""
    return finish_unlock(user, school, verify_password(unlock_hash(user, school), secret or ""))


@cross_school("a gate phone's open shifts, whoever signed in on it")
def start_shift(school: School, user, device_id: str, now: dt.datetime | None = None) -> GateShift:
    """A guard signed in on a gate phone: any other guard's open shift on that phone ends."""
    now = now or now_utc()
    for other in db.session.scalars(sa.select(GateShift).where(GateShift.device_id == device_id,
                                                               GateShift.ended_dt.is_(None))):
        other.ended_dt = now
        record(user, school, "gate.shift.end", other, detail=f"guard={other.guard_id}")
    shift = GateShift(school_id=school.id, device_id=device_id, guard_id=user.id, started_dt=now)
    db.session.add(shift)
    db.session.flush()
    record(user, school, "gate.shift.start", shift)
    return shift


@cross_school("a shift named by the phone's own session")
def end_shift(shift_id: int | None, now: dt.datetime | None = None) -> None:
    if shift_id:
        shift = db.session.get(GateShift, shift_id)
        if shift is not None and shift.ended_dt is None:
            shift.ended_dt = now or now_utc()


def shift_is_open(shift_id: int) -> bool:
    return shift_state(shift_id) != "ended"


@cross_school("a shift named by the phone's own session")
def shift_state(shift_id: int) -> str:
    """"open", "locked" (the PIN is needed) or "ended"; an unknown shift counts as ended."""
    row = db.session.execute(sa.select(GateShift.ended_dt, GateShift.locked_dt)
                             .where(GateShift.id == shift_id)).first()
    if row is None or row.ended_dt is not None:
        return "ended"
    return "locked" if row.locked_dt is not None else "open"


@cross_school("a shift named by the phone's own session")
def lock_shift(user, school: School, shift_id: int, now: dt.datetime | None = None) -> None:
    """The gate phone is locked on the server: every copy of the session cookie needs the PIN."""
    shift = db.session.get(GateShift, shift_id)
    if shift is not None and shift.ended_dt is None and shift.locked_dt is None:
        shift.locked_dt = now or now_utc()
        record(user, school, "gate.lock", shift)


@cross_school("a shift named by the phone's own session")
def unlock_shift(shift_id: int | None) -> None:
    shift = db.session.get(GateShift, shift_id) if shift_id else None
    if shift is not None:
        shift.locked_dt = None
