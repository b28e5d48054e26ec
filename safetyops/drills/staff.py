"""The school's staff as the drills area sees them: every enabled member (who gets a drill's or an alarm's SMS,
whose training is counted) and whether a person chosen in a form works at the school."""

from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import User
from ..extensions import db
from ..schools.models import Membership, School


def member_of(school: School, user_id: int | None) -> bool:
    if user_id is None:
        return True
    return db.session.scalar(sa.select(Membership.id).where(Membership.school_id == school.id,
                                                            Membership.user_id == user_id)) is not None


def staff_of(school: School) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.school_id == school.id, User.is_enabled.is_(True)).order_by(User.id)))
