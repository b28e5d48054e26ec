"""Access table of the drills area (see tests/test_access_matrix.py)."""

from __future__ import annotations

import datetime as dt

from safetyops.auth.roles import Role
from tests.access_common import ALL, MANAGERS

LEADERS = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
RUNNERS = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY})

MATRIX = {
    "drills.index": LEADERS | {Role.INSPECTOR},
    "drills.plan_edit": LEADERS,
    "drills.start": RUNNERS,
    "drills.emergency": RUNNERS,
    # Teachers reach these only while on the rosters' duty-administrator post (none in this table).
    "drills.board": LEADERS,
    "drills.board_json": LEADERS,
    "drills.all_clear": RUNNERS,
    "drills.my_class": LEADERS | {Role.TEACHER},
    # The class in objects() has another homeroom teacher: a teacher reports only their own class.
    "drills.report": LEADERS,
    "drills.detail": LEADERS | {Role.INSPECTOR},
    "drills.review": LEADERS,
    "drills.finding": LEADERS,
    "drills.report_pdf": LEADERS | {Role.INSPECTOR},
    "drills.classes": LEADERS | {Role.INSPECTOR},
    "drills.class_edit": LEADERS,
    "drills.settings": LEADERS,
    "drills.point_edit": LEADERS,
    "drills.training": LEADERS,
    "drills.training_edit": LEADERS,
    "drills.cd_staff": ALL,
    "drills.cd_edit": MANAGERS,
    # The alarm button: every member of staff (the district inspector is not on site).
    "drills.alarm": ALL - {Role.INSPECTOR},
    "drills.alarm_raise": ALL - {Role.INSPECTOR},  # /alarm/raise without ?kind= is a 404 (EXPECT)
    "drills.alarm_status": ALL - {Role.INSPECTOR},
    # objects()' drill is a drill, not a real emergency: nobody calls it off, but everyone reaches the form.
    "drills.alarm_cancel": ALL - {Role.INSPECTOR},
    "drills.numbers": LEADERS,
    # Reunification (issue 15): the class lists with guardians are the leaders'; the hand-over screen is the
    # gate phone's (guard) and the teachers' too; the SMS to a class's guardians is the board's people.
    "drills.class_list": LEADERS,
    "drills.student_edit": LEADERS,
    "drills.guardian_edit": LEADERS,
    "drills.guardian_delete": LEADERS,
    "drills.students_import": LEADERS,
    "drills.reunion_screen": LEADERS | {Role.TEACHER, Role.GUARD},
    "drills.handover": LEADERS | {Role.TEACHER, Role.GUARD},
    # One class's children with their guardians and a hand-over form each (kept offline on the phones): any
    # class, for everyone of the hand-over screen (a teacher helps at the gate with any class).
    "drills.reunion_class": LEADERS | {Role.TEACHER, Role.GUARD},
    "drills.reunion_sms": LEADERS,
}


def objects(f, school) -> dict:
    from safetyops.drills.models import (
        AssemblyPoint,
        CdFunction,
        CdMember,
        Guardian,
        PlannedDrill,
        Student,
        TrainingRecord,
    )
    from safetyops.extensions import db
    from safetyops.schools.models import Area

    homeroom = f.user("teacher", school)
    klass = f.school_class(school, homeroom=homeroom)
    drill = f.drill(school)  # live, no report yet
    plan = PlannedDrill(school_id=school.id, kind="fire", target_date=dt.date(2026, 10, 1))
    point = AssemblyPoint(school_id=school.id, name="Stadium")
    rec = TrainingRecord(school_id=school.id, user_id=homeroom.id, course="first_aid", taken_on=dt.date(2026, 1, 1))
    db.session.add_all([plan, point, rec])
    appt = f.appointment(school, homeroom, area=Area.CIVIL_DEFENCE)
    member = CdMember(school_id=school.id, appointment_id=appt.id, function=CdFunction.EVACUATION)
    db.session.add(member)
    student = Student(school_id=school.id, class_id=klass.id, full_name=f"Pupil {school.id}", name_key="pupil")
    db.session.add(student)
    db.session.flush()
    guardian = Guardian(school_id=school.id, student_id=student.id, full_name="Guardian", phone="+996555000111",
                        consent_on=dt.date(2026, 9, 1), consent_ref="No. 1")
    db.session.add(guardian)
    db.session.flush()
    return {"drill_id": drill.id, "drill_class_id": klass.id, "drill_plan_id": plan.id,
            "assembly_point_id": point.id, "training_id": rec.id, "cd_member_id": member.id,
            "drill_student_id": student.id, "drill_guardian_id": guardian.id}


EXPECT: dict[str, int] = {"drills.alarm_raise": 404}
