"""Who reads and records the road-safety work."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import Role


class RoadPerm(StrEnum):
    VIEW = "roadsafety.view"
    MANAGE = "roadsafety.manage"


MANAGERS = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER}

#: The squad's teacher is a teacher: teachers read (the squad's names included) and the inspector too.
#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {RoadPerm.VIEW: MANAGERS | {Role.TEACHER, Role.INSPECTOR}, RoadPerm.MANAGE: MANAGERS}
