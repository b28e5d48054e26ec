"""Small helpers shared by the inspections services: `Refused` (a ServiceError with an HTTP status for
JSON answers), the school's time zone, and the client's id of an answer or a report (an offline phone's
uuid, checked)."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l

from ..errors_service import ServiceError


class Refused(ServiceError):
    """A ServiceError with an HTTP status for JSON answers (404 unknown item, 409 finished run…)."""

    def __init__(self, message, field=None, status: int = 422):
        super().__init__(message, field)
        self.status = status


def school_tz(school):
    from ..time import zone

    return zone(school.timezone)


def clean_uuid(value: str | None) -> str:
    if not value:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise Refused(_l("Bad answer id."), status=400) from None
