"""Who reads and records the road-safety work."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import Role, grant


class RoadPerm(StrEnum):
    VIEW = "roadsafety.view"
    MANAGE = "roadsafety.manage"


MANAGERS = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER}

#: The squad's teacher is a teacher: teachers read (the squad's names included) and the inspector too.
grant({RoadPerm.VIEW: MANAGERS | {Role.TEACHER, Role.INSPECTOR}, RoadPerm.MANAGE: MANAGERS})
