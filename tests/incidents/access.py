"""Access table of the incidents area: the register stays away from teachers, guards, canteen staff and
administrators; the district inspector reads only the nameless list, the analysis and the export."""

from safetyops.auth.roles import Role

REGISTER = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER, Role.NURSE})
ANALYSE = REGISTER | {Role.INSPECTOR}
BRIEF_VIEW = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER, Role.TEACHER, Role.ADMIN, Role.INSPECTOR})
BRIEF_RECORD = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER, Role.TEACHER})
BRIEF_PLAN = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SAFETY_OFFICER})

MATRIX = {
    "incidents.index": ANALYSE,
    "incidents.analysis": ANALYSE,
    "incidents.export_csv": ANALYSE,
    "incidents.export_xlsx": ANALYSE,
    "incidents.new": REGISTER,
    "incidents.view": REGISTER,
    "incidents.edit": REGISTER,
    "incidents.settings": frozenset({Role.DIRECTOR}),
    "incidents.briefings": BRIEF_VIEW,
    "incidents.events": BRIEF_VIEW,
    "incidents.briefing_new": BRIEF_RECORD,
    "incidents.plan_new": BRIEF_PLAN,
    "incidents.event_edit": BRIEF_PLAN,
}


def objects(f, school) -> dict:
    klass = f.school_class(school, grade=3)
    return {
        "incident_id": f.road_incident(school, klass=klass, name="Test Student").id,
        "school_event_id": f.school_event(school, classes=[klass]).id,
    }
