"""The incident register (beyond road traffic) and the injuries, which only the director, the deputy
director and the nurse read."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import can, get_or_404, requires
from ..auth.roles import has_perm
from ..converters import int_arg
from ..dashboard.cards import Card
from ..menu import MenuItem
from ..time import local_to_utc, now_utc, school_now
from ..uow import audit_read, personal_data, step
from . import services
from .forms import IncidentForm, InjuryForm
from .models import INCIDENT_LABELS, IncidentKind, SchoolIncident
from .permissions import AccPerm

bp = Blueprint("accidents", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Incidents and injuries"), "accidents.index", AccPerm.VIEW, 56),
)


#: Injuries of the last this many days are "new" on the home page.
NEW_INJURY_DAYS = 7


def injuries_card(user, school, role, today):
    """Those who read injuries (director, deputy, nurse): incidents with people injured in the last week, by
    day and place (no name, no injury on the home page)."""
    if not has_perm(role, AccPerm.HEALTH):
        return []
    recent = services.recent_injuries(school, now_utc() - dt.timedelta(days=NEW_INJURY_DAYS))
    if not recent:
        return []
    return [Card(title=_("New injuries"), url=url_for("accidents.index", kind=IncidentKind.INJURY.value), urgency=55,
                 tone="warning", count=sum(n for _i, n in recent),
                 lines=[f"{format_datetime(i.occurred_dt, 'short')} · {i.place}" for i, _n in recent[:3]])]


def _back():
    """Where a form's "back" link leads: this area's page."""
    return url_for("accidents.index"), _("Incidents and injuries")


_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _filters() -> services.Filters:
    """The register's filter from the query string (what a chart's bar opens); unreadable values are ignored."""
    kind = request.args.get("kind", "")
    month = request.args.get("month", "").strip()
    return services.Filters(kind=kind if kind in {k.value for k in IncidentKind} else "",
                            year=int_arg("year", None, lo=2000, hi=2100),
                            month=month if _MONTH.fullmatch(month) and 2000 <= int(month[:4]) <= 2100 else "",
                            place=request.args.get("place", "").strip()[:200],
                            grade=int_arg("grade", None, lo=0, hi=13))


@bp.get("/accidents")
@requires(AccPerm.VIEW)
def index():
    flt = _filters()
    since = now_utc() - dt.timedelta(days=365)
    return render_template("accidents/index.html", rows=services.filtered(g.school, flt), kind=flt.kind, flt=flt,
                           narrowed=bool(set(flt.as_args()) - {"kind"}),
                           injuries=services.injury_counts(g.school), by_kind=services.by_kind(g.school, since),
                           INCIDENT_LABELS=INCIDENT_LABELS, IncidentKind=IncidentKind)


@bp.get("/accidents/analysis")
@requires(AccPerm.VIEW)
def analysis():
    """Charts of the year: people injured by month, incidents by kind, places and grades of the injured; each
    bar opens the register filtered (counts only: no name, no injury)."""
    this_year = school_now(g.school).year
    year = int_arg("year", this_year, lo=2000, hi=2100)
    return render_template("accidents/analysis.html", a=services.analyse(g.school, year),
                           years=list(range(this_year, this_year - 5, -1)))


@bp.route("/accidents/new", methods=["GET", "POST"])
@requires(AccPerm.RECORD)
def new():
    form = IncidentForm()
    if request.method == "GET":
        now = school_now(g.school)
        form.occurred_on.data, form.occurred_at.data = now.date(), now.time().replace(second=0, microsecond=0)
    if form.validate_on_submit():
        with step(form) as done:
            made = services.record_incident(
                current_user, g.school, kind=form.kind.data,
                occurred_dt=local_to_utc(form.occurred_on.data, form.occurred_at.data, g.school.timezone),
                place=form.place.data, description=form.description.data,
                parents_informed=form.parents_informed.data, ambulance=form.ambulance.data, police=form.police.data,
                measures=form.measures.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("accidents.detail", school_incident_id=made.id))
    return render_template("_simple_form.html", back=_back(), form=form, title=_("Record an incident"), incident=None)


def _detail(incident, injury_form=None, code=200):
    health = can(AccPerm.HEALTH)
    if health:
        audit_read(incident, detail="injuries")
    form = injury_form or InjuryForm(formdata=None)
    form.class_id.choices = [("", _("— none —"))] + [(str(c.id), c.name) for c in services.classes(g.school)]
    return render_template("accidents/detail.html", i=incident, health=health, form=form,
                           INCIDENT_LABELS=INCIDENT_LABELS), code


@bp.get("/accidents/<int:school_incident_id>")
@requires(AccPerm.VIEW)
@personal_data("accidents.read")
def detail(school_incident_id):
    return _detail(get_or_404(SchoolIncident, school_incident_id))


@bp.post("/accidents/<int:school_incident_id>/injuries")
@requires(AccPerm.HEALTH)
def injury_new(school_incident_id):
    incident = get_or_404(SchoolIncident, school_incident_id)
    form = InjuryForm()
    form.class_id.choices = [("", "")] + [(str(c.id), c.name) for c in services.classes(g.school)]
    if form.validate_on_submit():
        with step(form) as done:
            services.add_injury(current_user, g.school, incident, class_id=form.class_id.data,
                                person_name=form.person_name.data, consent_paper=form.consent_paper.data,
                                injury=form.injury.data, first_aid=form.first_aid.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("accidents.detail", school_incident_id=incident.id))
    return _detail(incident, form, 422)


