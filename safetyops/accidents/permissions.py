"""Who reads the incident register, and who reads the injuries in it (health data)."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import Role


class AccPerm(StrEnum):
    #: The register: what happened, where, what was done (no names, no health details).
    VIEW = "accidents.view"
    #: Record an incident.
    RECORD = "accidents.record"
    #: The injuries: who, the injury, the first aid (sensitive); recording them.
    HEALTH = "accidents.health"


READERS = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER, Role.NURSE, Role.INSPECTOR}
RECORDERS = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER, Role.NURSE}
HEALTH = {Role.DIRECTOR, Role.DEPUTY, Role.NURSE}

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {AccPerm.VIEW: READERS, AccPerm.RECORD: RECORDERS, AccPerm.HEALTH: HEALTH}
