"""Who may do what with road incidents and briefings."""

from enum import StrEnum

from ..auth.roles import Role


class IncPerm(StrEnum):
    #: The register itself: students' names, create and correct (director, deputy, safety officer, nurse).
    REGISTER = "incidents.register"
    #: The nameless list, the analysis and the export (the register's roles and the district inspector).
    ANALYSE = "incidents.analyse"
    #: Retention period of the personal data.
    SETTINGS = "incidents.settings"
    #: Briefing plans, records and events: read.
    BRIEFINGS_VIEW = "briefings.view"
    #: Record a briefing held.
    BRIEFINGS_RECORD = "briefings.record"
    #: Plan briefings and register excursions, hikes and sports events.
    BRIEFINGS_PLAN = "briefings.plan"


REGISTER_ROLES = {Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER, Role.NURSE}

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {
    IncPerm.REGISTER: REGISTER_ROLES,
    IncPerm.ANALYSE: REGISTER_ROLES | {Role.INSPECTOR},
    IncPerm.SETTINGS: {Role.DIRECTOR},
    IncPerm.BRIEFINGS_VIEW: {Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER, Role.TEACHER, Role.ADMIN,
                             Role.INSPECTOR},
    IncPerm.BRIEFINGS_RECORD: {Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER, Role.TEACHER},
    IncPerm.BRIEFINGS_PLAN: {Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER},
}
