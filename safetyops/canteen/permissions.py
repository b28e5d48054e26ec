"""Who may do what in the canteen."""

from enum import StrEnum

from ..auth.roles import Role


class CanPerm(StrEnum):
    #: Today's sittings and the week's schedule.
    VIEW = "canteen.view"
    #: Edit the draft schedule, capacity and hours, the person in charge.
    EDIT = "canteen.edit"
    #: Approve the schedule (the director).
    APPROVE = "canteen.approve"
    #: Tick the sanitary check and enter the breakfast tally.
    CHECK = "canteen.check"
    #: Monthly breakfast summary and export for the accounts office.
    ACCOUNTS = "canteen.accounts"


CHECK_ROLES = {Role.CANTEEN, Role.DIRECTOR, Role.DEPUTY, Role.NURSE}

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {
    CanPerm.VIEW: {Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER, Role.TEACHER, Role.CANTEEN, Role.NURSE,
                   Role.ADMIN, Role.INSPECTOR},
    CanPerm.EDIT: {Role.DIRECTOR, Role.DEPUTY, Role.CANTEEN, Role.ADMIN},
    CanPerm.APPROVE: {Role.DIRECTOR},
    CanPerm.CHECK: CHECK_ROLES,
    CanPerm.ACCOUNTS: {Role.DIRECTOR, Role.DEPUTY, Role.CANTEEN, Role.ADMIN},
}
