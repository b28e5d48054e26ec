"""Roster permissions and who holds them."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import Role


class RosterPerm(StrEnum):
    #: See duties (one's own, the school's by day and week, print), check in, offer and take swaps.
    VIEW = "rosters.view"
    #: Posts, settings, unavailability, generate / adjust / publish, import staff.
    MANAGE = "rosters.manage"
    #: Approve or decline swaps, see missing check-ins (the duty administrator of the day too).
    APPROVE = "rosters.approve"


_STAFF = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER, Role.TEACHER, Role.GUARD, Role.CANTEEN,
          Role.NURSE}

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {
    RosterPerm.VIEW: _STAFF,
    RosterPerm.MANAGE: {Role.DIRECTOR, Role.ADMIN},
    RosterPerm.APPROVE: {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY},
}
