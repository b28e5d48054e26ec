"""Schools, people, zones and appointments.  The actor and the school are arguments."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..auth.services import OneTimePassword, reset_password
from ..errors_service import ServiceError
from ..extensions import db
from ..security import hash_password
from .authority import check_account_change, check_role_change
from .models import Appointment, Membership, School, Zone


def staff_query(school: School, search: str = ""):
    q = (
        sa.select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id)
        .order_by(User.is_enabled.desc(), User.full_name)
    )
    if search:
        like = f"%{search.strip()}%"
        q = q.where(sa.or_(User.full_name.ilike(like), User.username.ilike(like), User.phone.ilike(like)))
    return q


def staff_member(school: School, user_id: int) -> tuple[User, Membership] | None:
    row = db.session.execute(
        sa.select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, User.id == user_id)
    ).first()
    return (row[0], row[1]) if row else None


def _check_unique(username: str, phone: str | None, exclude_id: int | None = None) -> None:
    q = sa.select(User.id).where(User.username == username)
    if exclude_id:
        q = q.where(User.id != exclude_id)
    if db.session.scalar(q) is not None:
        raise ServiceError(_l("This username is taken. Choose another."), "username")
    if phone:
        q = sa.select(User.id).where(User.phone == phone)
        if exclude_id:
            q = q.where(User.id != exclude_id)
        if db.session.scalar(q) is not None:
            raise ServiceError(_l("Another account already has this phone number."), "phone")


def create_staff(actor: User | None, school: School, *, full_name, username, phone, role, locale,
                 otp: OneTimePassword | None = None) -> tuple[User, str]:
    """A new account with a one-time password (returned, to be shown once).  Pass `otp` made by
    `auth.services.new_one_time_password()` before the transaction: hashing is slow."""
    check_role_change(actor, school, None, None, Role(role))
    username = username.strip().lower()
    _check_unique(username, phone)
    user = User(full_name=full_name.strip(), username=username, phone=phone, locale=locale,
                password_hash="!", must_change_password=True)
    user.memberships.append(Membership(school_id=school.id, role=Role(role)))
    db.session.add(user)
    db.session.flush()
    password = reset_password(actor, school, user, otp)
    record(actor, school, "staff.create", user, detail=f"role={role}")
    return user, password


def update_staff(actor: User | None, school: School, user: User, membership: Membership, *, full_name, username,
                 phone, role, locale) -> None:
    """Change a person's account (shared by all their schools) and their role at this school."""
    username = username.strip().lower()
    account = [name for name, old, new in (
        ("full_name", user.full_name, full_name.strip()), ("username", user.username, username),
        ("phone", user.phone, phone), ("locale", user.locale, locale),
    ) if old != new]
    if account:
        check_account_change(actor, user)
    check_role_change(actor, school, user, membership.role, Role(role))
    _check_unique(username, phone, exclude_id=user.id)
    changed = account + (["role"] if membership.role.value != role else [])
    user.full_name, user.username, user.phone, user.locale = full_name.strip(), username, phone, locale
    membership.role = Role(role)
    record(actor, school, "staff.update", user, detail=",".join(changed))


def set_enabled(actor: User | None, school: School, user: User, enabled: bool) -> None:
    if user.id == actor.id and not enabled:
        raise ServiceError(_l("You cannot deactivate your own account."))
    check_account_change(actor, user)
    user.is_enabled = enabled
    if not enabled:
        user.end_all_sessions()
    record(actor, school, "staff.activate" if enabled else "staff.deactivate", user)


def reset_staff_password(actor: User | None, school: School, user: User, otp: OneTimePassword | None = None) -> str:
    """A one-time password for someone else (yours is changed on the password page)."""
    if user.id == actor.id:
        raise ServiceError(_l("Change your own password on the password page."))
    check_account_change(actor, user)
    return reset_password(actor, school, user, otp)


def create_user(*, full_name, username, password, phone=None, locale="ky", school: School | None = None,
                role=None) -> User:
    """For the CLI and the demo."""
    _check_unique(username.lower(), phone)
    user = User(full_name=full_name, username=username.lower(), phone=phone, locale=locale,
                password_hash=hash_password(password))
    if school is not None and role is not None:
        user.memberships.append(Membership(school_id=school.id, role=Role(role)))
    db.session.add(user)
    db.session.flush()
    record(None, school, "staff.create", user, detail="cli")
    return user


# --- zones ---------------------------------------------------------------------


def save_zone(actor: User | None, school: School, zone: Zone | None, **fields) -> Zone:
    name = fields["name"].strip()
    clash = db.session.scalar(sa.select(Zone.id).where(Zone.school_id == school.id, Zone.name == name,
                                                       Zone.id != (zone.id if zone else -1)))
    if clash is not None:
        raise ServiceError(_l("A zone with this name already exists."), "name")
    creating = zone is None
    if creating:
        zone = Zone(school_id=school.id)
        db.session.add(zone)
    zone.name = name
    zone.kind = fields["kind"]
    zone.building = (fields.get("building") or "").strip()
    zone.floor = fields.get("floor")
    zone.is_active = bool(fields.get("is_active", True))
    db.session.flush()
    record(actor, school, "zone.create" if creating else "zone.update", zone)
    return zone


# --- appointments ----------------------------------------------------------------


def save_appointment(actor: User | None, school: School, appt: Appointment | None, **fields) -> Appointment:
    if staff_member(school, fields["user_id"]) is None:
        raise ServiceError(_l("Choose a person who works at this school."), "user_id")
    creating = appt is None
    if creating:
        appt = Appointment(school_id=school.id)
        db.session.add(appt)
    for key in ("user_id", "area", "order_number", "order_date", "starts_on", "ends_on"):
        setattr(appt, key, fields[key])
    db.session.flush()
    record(actor, school, "appointment.create" if creating else "appointment.update", appt)
    return appt


def responsible_for(school: School, area, day) -> list[User]:
    """People appointed for `area` on `day` (other areas use this for default assignees)."""
    rows = db.session.scalars(
        sa.select(Appointment).where(Appointment.school_id == school.id, Appointment.area == area,
                                     Appointment.starts_on <= day,
                                     sa.or_(Appointment.ends_on.is_(None), Appointment.ends_on >= day))
    )
    return [a.user for a in rows]


def update_school(actor: User | None, school: School, **fields) -> None:
    for key in ("name", "address", "timezone", "default_locale"):
        setattr(school, key, fields[key])
    record(actor, school, "school.update", school)


def update_profile(user: User, *, phone, locale) -> None:
    _check_unique(user.username, phone, exclude_id=user.id)
    user.phone = phone
    user.locale = locale
    record(user, None, "profile.update", user)
