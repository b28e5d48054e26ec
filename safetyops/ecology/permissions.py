"""Who reads and records the ecology area."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import Role


class EcoPerm(StrEnum):
    VIEW = "ecology.view"
    MANAGE = "ecology.manage"


MANAGERS = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER}

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {EcoPerm.VIEW: MANAGERS | {Role.INSPECTOR}, EcoPerm.MANAGE: MANAGERS}
