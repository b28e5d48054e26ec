"""Who may do what in drills."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import Role


class DrillPerm(StrEnum):
    VIEW = "drills.view"  # plan, past drills, after-action, charts
    MANAGE = "drills.manage"  # classes, plan, targets, assembly points, after-action review
    RUN = "drills.run"  # start, real emergency, all clear (teachers: only while on the duty-admin post)
    BOARD = "drills.board"  # the live board (teachers: only while on the duty-admin post)
    REPORT = "drills.report"  # "My class" roll-call (teachers: only their own classes)
    ALARM = "drills.alarm"  # raise the alarm (every member of staff, the gate phone too)
    REUNIFY = "drills.reunify"  # hand children over to known adults after the all clear (gate phone, teachers)
    TRAINING_VIEW = "training.view"
    TRAINING_MANAGE = "training.manage"
    CD_VIEW = "civil_defence.view"
    CD_MANAGE = "civil_defence.manage"


LEADERS = {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER}

#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {
    DrillPerm.VIEW: LEADERS | {Role.INSPECTOR},
    DrillPerm.MANAGE: LEADERS,
    DrillPerm.RUN: {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.TEACHER},
    DrillPerm.BOARD: LEADERS | {Role.TEACHER},
    DrillPerm.REPORT: LEADERS | {Role.TEACHER},
    DrillPerm.ALARM: set(Role) - {Role.INSPECTOR},  # the district inspector is not on site
    DrillPerm.REUNIFY: LEADERS | {Role.TEACHER, Role.GUARD},
    DrillPerm.TRAINING_VIEW: LEADERS,
    DrillPerm.TRAINING_MANAGE: LEADERS,
    DrillPerm.CD_VIEW: set(Role),
    DrillPerm.CD_MANAGE: {Role.DIRECTOR, Role.ADMIN},
}
