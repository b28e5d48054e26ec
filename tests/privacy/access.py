"""Access table of the privacy area: the notice is for everyone signed in; requests, consents and the
information-security register for the director (and the information-security appointee, who holds
no role of their own: see test_privacy_views.py)."""

from safetyops.auth.roles import Role
from tests.access_common import SIGNED_IN

OFFICER = frozenset({Role.DIRECTOR})

MATRIX = {
    "privacy.notice": SIGNED_IN,
    "privacy.register_page": OFFICER,
    "privacy.subject": OFFICER,
    "privacy.subject_export": OFFICER,
    "privacy.subject_correct": OFFICER,
    "privacy.subject_erase": OFFICER,
    "privacy.consents": OFFICER,
    "privacy.consent_new": OFFICER,
    "privacy.consent_view": OFFICER,
    "privacy.consent_withdraw": OFFICER,
    "privacy.consent_scan": OFFICER,
}


def objects(f, school) -> dict:
    import datetime as dt

    from safetyops.extensions import db
    from safetyops.privacy.models import Consent, ConsentScan, Purpose, SubjectKind

    consent = Consent(school_id=school.id, subject_kind=SubjectKind.STUDENT, subject_name="Асанов Бакыт",
                      given_by="Асанова Айгүл", purpose=Purpose.INCIDENT_NAME, given_on=dt.date(2026, 9, 1),
                      paper_ref="No. 12", scan=ConsentScan(school_id=school.id, content_type="image/jpeg",
                                                           data=b"\xff\xd8\xff"))
    db.session.add(consent)
    db.session.flush()
    return {"consent_id": consent.id}
