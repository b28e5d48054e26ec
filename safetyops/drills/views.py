"""Drills: plan, live roll-call and board, real emergencies, after-action; the home page's cards and the pages
kept offline.  The area's other pages are route modules on the same blueprint (`blueprint.bp`): `views_alarm`
(the alarm button, emergency numbers), `views_classes` (classes, settings, class lists), `views_reunion`
(reunification), `views_training` (training, civil-defence staff); importing them here registers their routes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import menu
from ..access import can, get_or_404, requires, scoped
from ..auth.roles import has_perm
from ..dashboard.cards import Card
from ..extensions import db
from ..forms_common import choices
from ..offline import made_at
from ..uow import audit_read, personal_data, step
from . import (  # noqa: F401 - the views_* modules: importing them registers their routes on bp
    charts,
    pdf,
    planning,
    reunion,
    services,
    training,
    views_alarm,
    views_classes,
    views_training,
)
from .blueprint import _ctx, _may_board, _may_run, _require, _today, bp
from .forms import AllClearForm, EmergencyForm, FindingForm, PlanForm, ReportForm, ReviewForm, StartForm
from .models import COURSE_LABELS, DRILL_KIND_LABELS, ClassReport, Drill, PlannedDrill, SchoolClass, clock
from .permissions import DrillPerm
from .views_reunion import _reunion_pages  # registers its routes on bp too

# Services raise ServiceError before they write anything, so a refused form needs no rollback.

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    menu.MenuItem(_l("My class"), "drills.my_class", DrillPerm.REPORT, 20),
    menu.MenuItem(_l("Drills"), "drills.index", DrillPerm.VIEW, 40),
    menu.MenuItem(_l("Safety training"), "drills.training", DrillPerm.TRAINING_VIEW, 41),
    menu.MenuItem(_l("Civil defence staff"), "drills.cd_staff", DrillPerm.CD_VIEW, 84),
)

POLL_MS = 1500  # the board shows a report within 2 s (issue 15); unchanged answers are a 304


@bp.app_template_filter("mmss")
def _mmss_filter(seconds):
    return clock(seconds)  # a drill's time as the PDF and the reports write it ("2:38")


# --- home page cards ---------------------------------------------------------------------


def home_cards(user, school, role, today):
    cards = []
    live = services.live_drill(school)
    if live is not None and has_perm(role, DrillPerm.REPORT):
        mine = planning.my_classes(user, school)
        board = services.may_see_board(user, school, role, today)
        if mine or board:
            title = (_("NOT A DRILL: emergency in progress") if live.is_real
                     else _("Drill in progress: %(kind)s", kind=DRILL_KIND_LABELS[live.kind]))
            reported = {r.class_id for r in services.reports_of(live)}
            lines = [(_("%(name)s: reported", name=c.name) if c.id in reported
                      else _("%(name)s: report your class", name=c.name)) for c in mine]
            # Two taps to report: the card opens the report form of the (first unreported) class.
            todo = [c for c in mine if c.id not in reported]
            if len(mine) == 1 or todo:
                url = url_for("drills.report", drill_id=live.id, drill_class_id=(todo or mine)[0].id)
            else:
                url = url_for("drills.my_class") if mine else url_for("drills.board", drill_id=live.id)
            cards.append(Card(title=title, url=url, urgency=100, tone="danger", lines=lines))
    if has_perm(role, DrillPerm.RUN) and services.may_run(user, school, role, today):
        due = planning.due_plans(school, today, within_days=14)
        if due:
            cards.append(Card(title=_("Planned drills due"), url=url_for("drills.index"), urgency=50,
                              tone="warning" if due[0].target_date < today else "", count=len(due),
                              lines=[f"{format_date(p.target_date, 'medium')} · {DRILL_KIND_LABELS[p.kind]}"
                                     for p in due[:3]]))
    if has_perm(role, DrillPerm.REUNIFY) and live is None:
        after = reunion.open_drill(school)
        if after is not None:
            cards.append(Card(title=_("Reunification: hand children over"), urgency=90, tone="warning",
                              url=url_for("drills.reunion_screen", drill_id=after.id),
                              lines=[_("Search a child and record the adult who takes them.")]))
    mine = training.my_expiring(user, school, today)
    if mine:
        cards.append(Card(title=_("Your safety training expires"), urgency=40, tone="warning",
                          lines=[f"{COURSE_LABELS[r.course]}: {format_date(r.expires_on, 'medium')}" for r in mine]))
    if has_perm(role, DrillPerm.TRAINING_MANAGE):
        over = training.training_overview(school, today)
        n = len(over["expiring"]) + len(over["expired"])
        if n:
            cards.append(Card(title=_("Staff training expired or expiring"), url=url_for("drills.training"),
                              urgency=30, count=n, tone="warning"))
    return cards


# --- index, plan, charts ----------------------------------------------------------------------


def _year_rows(school, start: dt.date):
    plans = planning.plan_for_year(school, start)
    held = {d.plan_id for d in db.session.scalars(scoped(Drill).where(Drill.plan_id.is_not(None)))}
    quarters = [(_("Sep–Nov"), (9, 10, 11)), (_("Dec–Feb"), (12, 1, 2)), (_("Mar–May"), (3, 4, 5)),
                (_("Jun–Aug"), (6, 7, 8))]
    end = dt.date(start.year + 1, 9, 1)
    drills_in_year = list(db.session.scalars(scoped(Drill).where(
        Drill.is_real.is_(False), Drill.ended_dt.is_not(None))))
    drills_in_year = [d for d in drills_in_year if start <= d.started_dt.date() < end]
    rows = []
    for label, months in quarters:
        planned = sum(1 for p in plans if p.target_date.month in months)
        done = sum(1 for d in drills_in_year if d.started_dt.month in months)
        rows.append((str(label), planned, done))
    return plans, held, rows


@bp.get("/drills")
@requires(DrillPerm.VIEW)
def index():
    today = _today()
    start = planning.school_year_start(today)
    plans, held, rows = _year_rows(g.school, start)
    past = services.past_drills(g.school, limit=12)
    seconds = services.drills_seconds(past)
    times = [(d, seconds[d.id]) for d in past]
    evac_rows = [(f"{format_date(d.started_dt, 'd.MM')} {str(DRILL_KIND_LABELS[d.kind])[:12]}", s,
                  d.target_seconds, None) for d, s in reversed(times)]  # 25 px rows: too small to tap
    evac_svg = charts.evacuation_chart(evac_rows, _("Evacuation time of each drill against the target"))
    plan_svg = charts.plan_chart(rows, _("Drills held against the plan"), _("Planned"), _("Held"))
    return render_template("drills/index.html", **_ctx(
        live=services.live_drill(g.school), plans=plans, held=held, times=times, evac_svg=evac_svg,
        plan_svg=plan_svg, year_start=start, today=today))


@bp.route("/drills/plan/new", methods=["GET", "POST"], defaults={"drill_plan_id": None})
@bp.route("/drills/plan/<int:drill_plan_id>", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def plan_edit(drill_plan_id):
    plan = get_or_404(PlannedDrill, drill_plan_id) if drill_plan_id else None
    form = PlanForm(obj=plan)
    if form.validate_on_submit():
        planning.save_plan(current_user, g.school, plan, kind=form.kind.data, target_date=form.target_date.data,
                           is_announced=form.is_announced.data, note=form.note.data)
        flash(_("Saved."), "success")
        return redirect(url_for("drills.index"))
    return render_template("drills/plan_form.html", **_ctx(form=form, plan=plan))


# --- starting -------------------------------------------------------------------------------


@bp.route("/drills/start", methods=["GET", "POST"])
@requires(DrillPerm.RUN)
def start():
    _require(_may_run())
    form = StartForm()
    due = [p for p in planning.plan_for_year(g.school, planning.school_year_start(_today()))
           if db.session.scalar(sa.select(Drill.id).where(Drill.school_id == g.school.id,
                                                          Drill.plan_id == p.id)) is None]
    form.plan_id.choices = choices([(0, _("Not in the plan"))] + [
        (p.id, f"{format_date(p.target_date, 'medium')} · {DRILL_KIND_LABELS[p.kind]}") for p in due])
    # Nothing is pre-selected: the kind, the plan line and the SMS are the person's choices.
    if form.validate_on_submit():
        with step(form) as done:
            drill = services.start_drill(current_user, g.school, kind=form.kind.data, plan_id=form.plan_id.data or None,
                                         is_announced=form.is_announced.data, send_sms=form.send_sms.data == "yes")
        if done:
            flash(_("The drill has started. The clock is running."), "success")
            return redirect(url_for("drills.board", drill_id=drill.id))
    return render_template("drills/start.html", **_ctx(form=form, live=services.live_drill(g.school)))


@bp.route("/drills/emergency", methods=["GET", "POST"])
@requires(DrillPerm.RUN)
def emergency():
    _require(_may_run())
    form = EmergencyForm()
    if form.validate_on_submit():
        with step(form) as done:
            drill = services.start_drill(current_user, g.school, kind=form.kind.data, is_real=True)
        if done:
            flash(_("Emergency declared. SMS queued to staff: %(n)s.", n=drill.sms_queued), "warning")
            return redirect(url_for("drills.board", drill_id=drill.id))
    return render_template("drills/emergency.html", **_ctx(form=form, live=services.live_drill(g.school)))


# --- the live board -------------------------------------------------------------------------


def _board_html(state, confirm_form=None) -> str:
    return render_template("drills/_board.html", s=state, **_ctx(confirm_form=confirm_form))


def _board_state(drill) -> dict:
    """The board's data; after the all clear, also how many children of each class are still with the school."""
    state = services.board(drill)
    state["reunion"] = None
    if not drill.is_live and reunion.applies(drill):
        counts = reunion.class_counts(drill)
        if any(c["listed"] or c["handed"] for c in counts):
            state["reunion"] = counts
            state["reunion_open"] = reunion.is_open(drill)
            state["version"] += f".r{sum(c['handed'] for c in counts)}"
    return state


@bp.get("/drills/<int:drill_id>/board")
@requires(DrillPerm.BOARD)
def board(drill_id):
    _require(_may_board())
    drill = get_or_404(Drill, drill_id)
    state = _board_state(drill)
    return render_template("drills/board.html", **_ctx(drill=drill, s=state, form=AllClearForm(),
                                                       poll_ms=POLL_MS))


@bp.get("/drills/<int:drill_id>/board.json")
@requires(DrillPerm.BOARD)
def board_json(drill_id):
    _require(_may_board())
    drill = get_or_404(Drill, drill_id)
    state = _board_state(drill)
    etag = f'"{state["version"]}"'
    if request.headers.get("If-None-Match") == etag:
        resp = Response(status=304)
    else:
        resp = jsonify({"version": state["version"], "live": drill.is_live, "elapsed": state["elapsed"],
                        "target": state["target"], "reported": len(state["reported"]), "expected": state["expected"],
                        "html": _board_html(state)})
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/drills/<int:drill_id>/all-clear")
@requires(DrillPerm.RUN)
def all_clear(drill_id):
    _require(_may_run())
    drill = get_or_404(Drill, drill_id)
    form = AllClearForm()
    if form.validate_on_submit():
        with step(flash_category=None) as done:
            services.all_clear(current_user, g.school, drill, confirmed=form.confirmed.data == "1")
        if isinstance(done.error, services.NeedsConfirmation):
            state = _board_state(drill)
            return render_template("drills/board.html", **_ctx(drill=drill, s=state, form=form, poll_ms=POLL_MS,
                                                               confirm=done.error.message)), 409
        if done:
            flash(_("All clear. The clock has stopped."), "success")
        else:
            flash(str(done.error.message), "error")
        return redirect(url_for("drills.detail", drill_id=drill.id))
    flash(_("The form expired. Try again."), "error")
    return redirect(url_for("drills.board", drill_id=drill.id))


# --- roll-call ----------------------------------------------------------------------------------


def offline_pages(user, school, role, today) -> list[str]:
    """My class, and during a drill the report form of each of my classes; while reunification is open, its
    screen and one page per class (the guard and the leaders: every class with a list; a homeroom teacher: theirs)."""
    mine = planning.my_classes(user, school) if has_perm(role, DrillPerm.REPORT) else []
    pages = []
    if mine:
        live = services.live_drill(school)
        pages += [url_for("drills.my_class"),
                  *(url_for("drills.report", drill_id=live.id, drill_class_id=c.id) for c in mine if live is not None)]
    if has_perm(role, DrillPerm.REUNIFY):
        pages += _reunion_pages(school, role, mine)
    return pages


@bp.get("/drills/my")
@requires(DrillPerm.REPORT)
def my_class():
    live = services.live_drill(g.school)
    mine = planning.my_classes(current_user, g.school)
    reports = {}
    if live is not None:
        reports = {r.class_id: r for r in services.reports_of(live)}
    after = reunion.open_drill(g.school) if live is None and can(DrillPerm.REUNIFY) else None
    return render_template("drills/my_class.html", **_ctx(live=live, mine=mine, reports=reports, after=after))


@bp.route("/drills/<int:drill_id>/classes/<int:drill_class_id>", methods=["GET", "POST"])
@requires(DrillPerm.REPORT)
def report(drill_id, drill_class_id):
    board_person = _may_board()
    _require(board_person or bool(planning.my_classes(current_user, g.school)))
    drill = get_or_404(Drill, drill_id)
    klass = get_or_404(SchoolClass, drill_class_id)
    _require(board_person or klass.homeroom_id == current_user.id)
    existing = db.session.scalar(sa.select(ClassReport).where(
        ClassReport.school_id == g.school.id, ClassReport.drill_id == drill.id, ClassReport.class_id == klass.id))
    form = ReportForm(obj=existing)
    if request.method == "GET" and existing is None:
        form.on_register.data = form.present.data = form.evacuated.data = klass.students
        form.injured.data = 0
    if request.method == "POST" and not drill.is_live:  # sent from a phone that was offline
        flash(_("This drill has ended; reports are closed."), "error")
        return render_template("drills/report.html", **_ctx(drill=drill, klass=klass, form=form,
                                                             existing=existing)), 409
    made = made_at()
    if made is not None and existing is not None and existing.updated_dt > made and form.validate_on_submit():
        # Reported twice (two phones, one of them offline): the report made last stays.
        flash(_("%(name)s: a later report is already stored.", name=klass.name), "info")
        return redirect(url_for("drills.my_class"))
    if drill.is_live and form.validate_on_submit():
        with step(form) as done:
            _report, created = services.report_class(
                current_user, g.school, drill, klass, on_register=form.on_register.data, present=form.present.data,
                evacuated=form.evacuated.data, injured=form.injured.data, missing_names=form.missing_names.data or "",
                now=made)
        if done:
            flash(_("%(name)s reported: %(evac)s of %(present)s at the assembly point.", name=klass.name,
                    evac=form.evacuated.data, present=form.present.data) if created
                  else _("%(name)s: report updated.", name=klass.name), "success")
            if request.args.get("from") == "board" and board_person:
                return redirect(url_for("drills.board", drill_id=drill.id))
            return redirect(url_for("drills.my_class"))
    return render_template("drills/report.html", **_ctx(drill=drill, klass=klass, form=form, existing=existing))


# --- after-action ---------------------------------------------------------------------------------


def _detail(drill, review_form=None, finding_form=None, status=200):
    summary = services.summary(drill)
    review_form = review_form or ReviewForm(obj=drill)
    finding_form = finding_form or FindingForm(formdata=None)
    return render_template("drills/detail.html", **_ctx(drill=drill, sm=summary, review_form=review_form,
                                                        finding_form=finding_form,
                                                        reunion=reunion.summary(drill))), status


@bp.get("/drills/<int:drill_id>")
@requires(DrillPerm.VIEW)
def detail(drill_id):
    drill = get_or_404(Drill, drill_id)
    return _detail(drill)


@bp.post("/drills/<int:drill_id>/review")
@requires(DrillPerm.MANAGE)
def review(drill_id):
    drill = get_or_404(Drill, drill_id)
    form = ReviewForm()
    if form.validate_on_submit():
        services.save_review(current_user, g.school, drill, observers_notes=form.observers_notes.data or "",
                             participants=form.participants.data or "")
        flash(_("Saved."), "success")
        return redirect(url_for("drills.detail", drill_id=drill.id))
    return _detail(drill, review_form=form, status=422)


@bp.post("/drills/<int:drill_id>/findings")
@requires(DrillPerm.MANAGE)
def finding(drill_id):
    drill = get_or_404(Drill, drill_id)
    form = FindingForm()
    if form.validate_on_submit():
        with step(form) as done:
            found = services.add_finding(current_user, g.school, drill, text=form.text.data,
                                         severity=form.severity.data, raise_action=form.raise_action.data)
        if done:
            flash(_("Finding recorded; corrective action opened.") if found.action_id else _("Finding recorded."),
                  "success")
            return redirect(url_for("drills.detail", drill_id=drill.id))
    return _detail(drill, finding_form=form, status=422)


@bp.get("/drills/<int:drill_id>/report.pdf")
@requires(DrillPerm.VIEW)
@personal_data("drill.pdf")
def report_pdf(drill_id):
    drill = get_or_404(Drill, drill_id)
    try:
        data = pdf.drill_pdf(drill, services.summary(drill), g.school, reunion.summary(drill))
    except pdf.FontMissing as err:
        return render_template("errors/error.html", code=503, title=_("PDF unavailable"),
                               text=_("The PDF font is not installed on the server: %(detail)s", detail=str(err))), 503
    audit_read(drill)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="drill-{drill.id}.pdf"'})
