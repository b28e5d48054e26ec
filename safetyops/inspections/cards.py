"""Home-page cards: my checks today, critical deficiencies, the director's counts."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..access import can
from ..dashboard.cards import Card
from .periods import Status
from .permissions import InspPerm


def my_checks_card(user, school, role, today):
    from . import services

    if not can(InspPerm.RUN):
        return []
    dues = [d for d in services.my_checks(user, school, role) if d.status in (Status.DUE, Status.OVERDUE,
                                                                              Status.UPCOMING)]
    if not dues:
        return []
    overdue = [d for d in dues if d.status == Status.OVERDUE]
    due_now = [d for d in dues if d.status == Status.DUE]
    versions = services.current_versions()  # once for the card's rows
    return [Card(title=_("My checks today"), url=url_for("inspections.checks"), count=len(dues),
                 urgency=90 if overdue else (70 if due_now else 40),
                 tone="danger" if overdue else ("warning" if due_now else ""),
                 template="inspections/_card_checks.html",
                 data={"rows": [_row(d, versions) for d in dues[:6]]})]


def _row(due, versions) -> dict:
    from flask_babel import get_locale

    from .periods import STATUS_LABELS

    version = versions.get(due.schedule.template_key)
    s = due.schedule
    place = s.asset.code if s.asset is not None else (s.zone.name if s.zone else "")
    return {"title": version.title(str(get_locale() or "ru")) if version else s.template_key, "place": place,
            "status": due.status.value, "status_label": str(STATUS_LABELS[due.status])}


def deficiencies_card(user, school, role, today):
    from . import services

    if not can(InspPerm.VIEW):
        return []
    result = []
    if can(InspPerm.MANAGE) or can(InspPerm.EXPORT):
        c = services.counts(school)
        total = c["overdue_checks"] + c["missed_checks"] + c["open_actions"]
        if total:
            lines = []
            if c["critical_actions"]:
                lines.append(ngettext("%(num)s critical deficiency open", "%(num)s critical deficiencies open",
                                      c["critical_actions"]))
            if c["overdue_checks"] or c["missed_checks"]:
                lines.append(_("Checks: %(overdue)s overdue, %(missed)s missed",
                               overdue=c["overdue_checks"], missed=c["missed_checks"]))
            if c["open_actions"]:
                lines.append(_("Open actions: %(open)s, past due: %(late)s",
                               open=c["open_actions"], late=c["overdue_actions"]))
            # straight to the late checks: the filters take a phone's first screen
            result.append(Card(title=_("Overdue and deficiencies"),
                               url=url_for("inspections.overdue", _anchor="late-checks"),
                               count=total, lines=lines, urgency=95 if c["critical_actions"] else 60,
                               tone="danger" if c["critical_actions"] else "warning"))
    mine = services.open_actions_query(school, assignee_id=user.id)
    import sqlalchemy as sa

    from ..extensions import db

    n = db.session.scalar(sa.select(sa.func.count()).select_from(mine.subquery()))
    if n:
        result.append(Card(title=_("Deficiencies to fix"), url=url_for("inspections.actions", mine=1), count=n,
                           urgency=65, tone="warning"))
    return result
