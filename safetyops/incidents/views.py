"""Road incidents (register, analysis, export, retention) and briefings (plans, records, events)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import can, get_or_404, requires
from ..audit.services import record
from ..auth.models import User
from ..converters import MAX_YEAR, MIN_YEAR, int_arg
from ..dashboard.cards import Card
from ..drills.models import SchoolClass
from ..extensions import db
from ..forms_common import choices
from ..menu import MenuItem
from ..schools.models import Membership
from ..time import local_to_utc, school_today, zone
from ..uow import audit_read, personal_data, step
from . import services
from .analysis import analyse, incident_years
from .forms import BriefingForm, EventForm, IncidentForm, PlanItemForm, RetentionForm
from .models import (
    EVENT_KIND_LABELS,
    JOURNEY_LABELS,
    MODE_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    IncidentStatus,
    RoadIncident,
    SchoolEvent,
)
from .permissions import IncPerm

bp = Blueprint("incidents", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Road incidents"), "incidents.analysis", IncPerm.ANALYSE, 40),
    MenuItem(_l("Briefings"), "incidents.briefings", IncPerm.BRIEFINGS_VIEW, 41),
)

LABELS = {"MODE_LABELS": MODE_LABELS, "SEVERITY_LABELS": SEVERITY_LABELS, "STATUS_LABELS": STATUS_LABELS,
          "JOURNEY_LABELS": JOURNEY_LABELS, "EVENT_KIND_LABELS": EVENT_KIND_LABELS,
          "AGE_GROUP_LABELS": services.AGE_GROUP_LABELS}


def _classes(active_only=True):
    q = sa.select(SchoolClass).where(SchoolClass.school_id == g.school.id)
    if active_only:
        q = q.where(SchoolClass.is_active.is_(True))
    return list(db.session.scalars(q.order_by(SchoolClass.grade, SchoolClass.name)))


def _staff():
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                                   .where(Membership.school_id == g.school.id, User.is_enabled.is_(True))
                                   .order_by(User.full_name)))


def _local(value: dt.datetime | None):
    return value.astimezone(zone(g.school.timezone)) if value else None


# --- home page cards ---------------------------------------------------------------------------------------


def home_cards(user, school, role, today):
    from ..auth.roles import Role, has_perm

    cards = []
    if role in (Role.DIRECTOR, Role.DEPUTY):
        missing = services.events_missing_briefing(school, today)
        if missing:
            lines = [_("%(date)s · %(title)s: no briefing for %(classes)s", date=e.held_on.strftime("%d.%m"),
                       title=e.title, classes=", ".join(c.name for c in cls)) for e, cls in missing]
            cards.append(Card(title=_("Events without a safety briefing"), url=url_for("incidents.events"),
                              urgency=70, count=len(missing), lines=lines, tone="warning"))
    if has_perm(role, IncPerm.BRIEFINGS_PLAN):
        late = services.overdue_plan_items(school, today)
        if late:
            cards.append(Card(title=_("Road-safety briefings past their date"), url=url_for("incidents.briefings"),
                              urgency=30, count=len(late), tone="warning",
                              lines=[f"{i.planned_on.strftime('%d.%m')} · {i.school_class.name} · {i.topic}"
                                     for i in late[:3]]))
    if has_perm(role, IncPerm.REGISTER):
        open_n = db.session.scalar(sa.select(sa.func.count()).select_from(RoadIncident).where(
            RoadIncident.school_id == school.id, RoadIncident.status == IncidentStatus.OPEN))
        if open_n:
            cards.append(Card(title=_("Road incidents without measures"),
                              url=url_for("incidents.index", status="open"), urgency=40, count=open_n,
                              tone="warning"))
    return cards


# --- the register ---------------------------------------------------------------------------------------------


@bp.get("/incidents")
@requires(IncPerm.ANALYSE)
@personal_data("incident.read_list")
def index():
    filters = services.parse_filters(request.args)
    rows = services.list_incidents(g.school, filters)
    status = request.args.get("status", "")
    if status in set(IncidentStatus):
        rows = [r for r in rows if r.status == status]
    audit_read(detail=str(filters.as_args())[:200])
    tz = zone(g.school.timezone)
    return render_template("incidents/index.html", rows=rows, filters=filters, tz=tz, status=status,
                           band_labels={k: label for k, _a, _b, label in services.TIME_BANDS},
                           may_register=can(IncPerm.REGISTER), **LABELS)


def _fill_choices(form: IncidentForm):
    form.class_id.choices = choices([("", _("— not known —"))] + [(c.id, c.name) for c in _classes()])
    form.parents_informed_by_id.choices = choices([("", _("— choose —"))] + [(u.id, u.full_name) for u in _staff()])


def _form_fields(form: IncidentForm) -> dict:
    tzn = g.school.timezone
    informed = (local_to_utc(form.informed_date.data, form.informed_time.data or dt.time(0, 0), tzn)
                if form.informed_date.data else None)
    return {
        "occurred_dt": local_to_utc(form.occurred_date.data, form.occurred_time.data, tzn),
        "place": form.place.data, "latitude": form.latitude.data, "longitude": form.longitude.data,
        "student_name": form.student_name.data, "has_consent": form.has_consent.data,
        "class_id": form.class_id.data, "mode": form.mode.data, "journey": form.journey.data,
        "severity": form.severity.data, "description": form.description.data,
        "police_report": form.police_report.data, "parents_informed_dt": informed,
        "parents_informed_by_id": form.parents_informed_by_id.data, "measures": form.measures.data,
        "status": form.status.data,
    }


def _edit(incident: RoadIncident | None):
    form = IncidentForm(obj=incident)
    _fill_choices(form)
    if request.method == "GET":
        now = _local(dt.datetime.now(dt.UTC))
        if incident is None:
            form.occurred_date.data, form.occurred_time.data = now.date(), now.time().replace(second=0,
                                                                                          microsecond=0)
        else:
            record(current_user, g.school, "incident.read", incident)
            occ = _local(incident.occurred_dt)
            form.occurred_date.data, form.occurred_time.data = occ.date(), occ.time()
            if incident.parents_informed_dt:
                inf = _local(incident.parents_informed_dt)
                form.informed_date.data, form.informed_time.data = inf.date(), inf.time()
            form.class_id.data = incident.class_id
            form.parents_informed_by_id.data = incident.parents_informed_by_id
    if form.validate_on_submit():
        with step(form) as done:
            saved = services.save_incident(current_user, g.school, incident, **_form_fields(form))
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("incidents.view", incident_id=saved.id))
        _fill_choices(form)
    return render_template("incidents/form.html", form=form, incident=incident)


@bp.route("/incidents/new", methods=["GET", "POST"])
@requires(IncPerm.REGISTER)
def new():
    return _edit(None)


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
@requires(IncPerm.REGISTER)
def edit(incident_id):
    return _edit(get_or_404(RoadIncident, incident_id))


@bp.get("/incidents/<int:incident_id>")
@requires(IncPerm.REGISTER)
def view(incident_id):
    incident = get_or_404(RoadIncident, incident_id)
    services.read_incident(current_user, g.school, incident)
    same_place = db.session.scalar(sa.select(sa.func.count()).select_from(RoadIncident).where(
        RoadIncident.school_id == g.school.id, RoadIncident.place_key == incident.place_key))
    return render_template("incidents/view.html", i=incident, occurred=_local(incident.occurred_dt),
                           informed=_local(incident.parents_informed_dt), same_place=same_place, **LABELS)


# --- analysis and export ----------------------------------------------------------------------------------------


def _year_arg():
    years = incident_years(g.school)
    today = school_today(g.school)
    year = int_arg("year", today.year)  # a year with no incidents shows this year's analysis
    if not 2000 <= year <= today.year + 1:
        year = today.year
    return year, sorted(set(years) | {today.year}, reverse=True)


@bp.get("/incidents/analysis")
@requires(IncPerm.ANALYSE)
def analysis():
    year, years = _year_arg()
    result = analyse(g.school, year)
    record(current_user, g.school, "incident.analysis", detail=f"year={year}")
    html = render_template("incidents/analysis.html", a=result, years=years, may_register=can(IncPerm.REGISTER),
                           **LABELS)
    return html


@bp.get("/incidents/export.csv")
@requires(IncPerm.ANALYSE)
def export_csv():
    return _export("csv")


@bp.get("/incidents/export.xlsx")
@requires(IncPerm.ANALYSE)
def export_xlsx():
    return _export("xlsx")


def _export(fmt):
    filters = services.parse_filters(request.args)
    if not filters.year and not filters.month:
        filters.year = school_today(g.school).year
    rows = services.list_incidents(g.school, filters)
    record(current_user, g.school, "incident.export", detail=f"{fmt} n={len(rows)} {filters.as_args()}"[:200])
    stem = f"road-incidents-{filters.month or filters.year}"
    if fmt == "csv":
        body, mime = services.export_csv(g.school, rows), "text/csv; charset=utf-8"
    else:
        body = services.export_xlsx(g.school, rows, _("Road incidents"))
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})


@bp.route("/incidents/settings", methods=["GET", "POST"])
@requires(IncPerm.SETTINGS)
def settings():
    form = RetentionForm()
    if request.method == "GET":
        form.retention_months.data = services.retention_months(g.school)
    if form.validate_on_submit():
        with step(form) as done:
            with db.session.begin_nested():  # a refusal undoes only this attempt
                services.save_retention(current_user, g.school, form.retention_months.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("incidents.analysis"))
    return render_template("incidents/settings.html", form=form)


# --- briefings ---------------------------------------------------------------------------------------------------


def _school_year():
    today = school_today(g.school)
    return int_arg("year", services.school_year_of(today), lo=MIN_YEAR, hi=MAX_YEAR), today


@bp.get("/briefings")
@requires(IncPerm.BRIEFINGS_VIEW)
def briefings():
    year, today = _school_year()
    class_id = int_arg("class") or None
    plan = services.plan_for_year(g.school, year, class_id)
    held = [b for b in services.briefings_for_year(g.school, year) if not class_id or b.class_id == class_id]
    return render_template("incidents/briefings.html", plan=plan, held=held, year=year, today=today,
                           classes=_classes(), class_id=class_id, **LABELS)


@bp.route("/briefings/plan/new", methods=["GET", "POST"])
@requires(IncPerm.BRIEFINGS_PLAN)
def plan_new():
    form = PlanItemForm()
    form.class_ids.choices = choices((c.id, c.name) for c in _classes())
    if form.validate_on_submit():
        with step(form) as done:
            with db.session.begin_nested():  # a refusal undoes only this attempt
                made = services.save_plan_item(current_user, g.school, None,
                                               class_ids=[c for c in form.class_ids.data if c],
                                               topic=form.topic.data, planned_on=form.planned_on.data)
        if done:
            flash(_("Added to the plan for %(n)s classes.", n=len(made)), "success")
            return redirect(url_for("incidents.briefings", year=services.school_year_of(form.planned_on.data)))
    return render_template("incidents/plan_form.html", form=form)


@bp.route("/briefings/new", methods=["GET", "POST"])
@requires(IncPerm.BRIEFINGS_RECORD)
def briefing_new():
    today = school_today(g.school)
    form = BriefingForm()
    form.class_id.choices = choices([("", _("— choose —"))] + [(c.id, c.name) for c in _classes()])
    form.held_by_id.choices = choices((u.id, u.full_name) for u in _staff())
    open_plan = [i for i in services.plan_for_year(g.school, services.school_year_of(today)) if not i.briefings]
    form.plan_item_id.choices = choices([("", _("— not from the plan —"))] + [
        (i.id, f"{i.planned_on.strftime('%d.%m')} · {i.school_class.name} · {i.topic}") for i in open_plan])
    upcoming = list(db.session.scalars(sa.select(SchoolEvent).where(
        SchoolEvent.school_id == g.school.id, SchoolEvent.held_on >= today - dt.timedelta(days=7))
        .order_by(SchoolEvent.held_on)))
    form.event_id.choices = choices([("", _("— no event —"))] + [
        (e.id, f"{e.held_on.strftime('%d.%m')} · {e.title}") for e in upcoming])
    if request.method == "GET":
        form.held_on.data = today
        form.held_by_id.data = current_user.id
        for key in ("plan_item_id", "event_id", "class_id"):
            getattr(form, key).data = int_arg(key.removesuffix("_id")) or None
        plan_item = next((i for i in open_plan if i.id == form.plan_item_id.data), None)
        if plan_item is not None:
            form.class_id.data, form.topic.data = plan_item.class_id, plan_item.topic
    if form.validate_on_submit():
        with step(form) as done:
            with db.session.begin_nested():  # a refusal undoes only this attempt
                services.record_briefing(current_user, g.school, class_id=form.class_id.data, held_on=form.held_on.data,
                                         topic=form.topic.data, held_by_id=form.held_by_id.data,
                                         students_present=form.students_present.data,
                                         plan_item_id=form.plan_item_id.data, event_id=form.event_id.data, today=today)
        if done:
            flash(_("Briefing recorded."), "success")
            if form.event_id.data:
                return redirect(url_for("incidents.events"))
            return redirect(url_for("incidents.briefings"))
    return render_template("incidents/briefing_form.html", form=form)


@bp.get("/briefings/events")
@requires(IncPerm.BRIEFINGS_VIEW)
def events():
    today = school_today(g.school)
    rows = list(db.session.scalars(sa.select(SchoolEvent).where(
        SchoolEvent.school_id == g.school.id, SchoolEvent.held_on >= today - dt.timedelta(days=60))
        .order_by(SchoolEvent.held_on.desc())))
    return render_template("incidents/events.html", events=rows, today=today, **LABELS)


@bp.route("/briefings/events/new", methods=["GET", "POST"], defaults={"school_event_id": None})
@bp.route("/briefings/events/<int:school_event_id>", methods=["GET", "POST"])
@requires(IncPerm.BRIEFINGS_PLAN)
def event_edit(school_event_id):
    event = get_or_404(SchoolEvent, school_event_id) if school_event_id else None
    form = EventForm(obj=event)
    form.class_ids.choices = choices((c.id, c.name) for c in _classes())
    if request.method == "GET" and event is not None:
        form.class_ids.data = [c.id for c in event.classes]
    if form.validate_on_submit():
        with step(form) as done:
            with db.session.begin_nested():  # a refusal undoes only this attempt
                services.save_event(current_user, g.school, event, kind=form.kind.data, title=form.title.data,
                                    held_on=form.held_on.data, class_ids=[c for c in form.class_ids.data if c])
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("incidents.events"))
    return render_template("incidents/event_form.html", form=form, event=event)


