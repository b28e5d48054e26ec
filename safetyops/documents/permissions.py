"""Who may do what with the school's safety paperwork.

Route permissions say who may open a page at all; which kinds of documents a role reads is
in kinds.py (anti-terror data: leaders only)."""

from __future__ import annotations

from enum import StrEnum

from ..auth.roles import SCHOOL_ROLES, Role
from .kinds import LEADERS


class DocPerm(StrEnum):
    VIEW = "documents.view"  # the register (only the kinds the role may read), files of those
    MANAGE = "documents.manage"  # add, edit, upload a new version, archive
    JOURNAL_VIEW = "documents.journal_view"  # the instruction journal (names: personal data), print it
    JOURNAL_MANAGE = "documents.journal_manage"  # record an instruction, attach the signed scan
    SIGN = "documents.sign"  # "I was instructed": one's own lines of the journal


#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {
    DocPerm.VIEW: set(Role),
    DocPerm.MANAGE: LEADERS,
    DocPerm.JOURNAL_VIEW: LEADERS | {Role.INSPECTOR},
    DocPerm.JOURNAL_MANAGE: LEADERS,
    DocPerm.SIGN: set(SCHOOL_ROLES),
}
