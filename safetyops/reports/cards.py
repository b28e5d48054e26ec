"""Home-page cards of reports: the director's week (issue 14).

"Last week" with its dates and the weekly SMS's three figures (checks missed, checks done late, critical
deficiencies open now), each line a link to where it is acted on.  The figures are `jobs.week_digest`'s, the
function the Monday SMS sends, so the card and the SMS can never disagree; a week with nothing to tell
shows no card (as it sends no SMS).  It informs (the live misses have their own card, "Overdue and
deficiencies"): it sits under "For information".  Two statements on the home page (docs/reports.md)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..auth.roles import Role
from ..dashboard.cards import Card
from . import jobs

#: Who sees last week on the home page: the director (who gets the SMS) and the deputy director, who reads
#: the same figures in the safety report and manages the checks (inspections' MANAGER_ROLES).
DIGEST_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY})
#: "For information" (dashboard.cards.grouped): below the cards of today.
URGENCY = 20


def last_week_card(user, school, role, today):
    if role not in DIGEST_ROLES:
        return []
    first, last, figures = jobs.week_digest(school)
    if not any(figures.values()):
        return []
    checks = url_for("inspections.overdue", _anchor="late-checks")
    lines = [
        (ngettext("%(num)s check missed", "%(num)s checks missed", figures["missed"]),
         checks if figures["missed"] else None),
        (ngettext("%(num)s check done late", "%(num)s checks done late", figures["late"]),
         checks if figures["late"] else None),
        # the open critical deficiencies (the actions list filtered by severity)
        (ngettext("%(num)s critical deficiency still open", "%(num)s critical deficiencies still open",
                  figures["critical"]),
         url_for("inspections.actions", severity="critical") if figures["critical"] else None),
    ]
    # word joiners: the dates never break at the dash on a narrow phone
    dates = f"{first:%d.%m}\u2060–\u2060{last:%d.%m}"
    return [Card(title=_("Last week: %(dates)s", dates=dates), urgency=URGENCY,
                 template="reports/_digest_card.html", data={"lines": lines})]
