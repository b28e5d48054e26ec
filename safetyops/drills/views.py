"""Drills: plan, live roll-call and board, real emergencies, after-action, training, civil-defence staff."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import menu
from ..access import can, get_or_404, requires, scoped
from ..auth.roles import Role, has_perm
from ..dashboard.cards import Card, provider
from ..errors import wants_json
from ..extensions import db
from ..forms_common import choices
from ..offline import made_at, pages_provider
from ..schools.services import staff_query
from ..time import school_today
from ..uow import audit_read, personal_data, step
from . import charts, pdf, reunion, services, student_import
from .forms import (
    AlarmForm,
    AllClearForm,
    CancelAlarmForm,
    CdForm,
    ClassForm,
    DeleteForm,
    EmergencyForm,
    FindingForm,
    GuardianForm,
    HandoverForm,
    NumbersForm,
    PlanForm,
    PointForm,
    ReportForm,
    ReunionSmsForm,
    ReviewForm,
    StartForm,
    StudentForm,
    StudentImportForm,
    TargetsForm,
    TrainingForm,
)
from .models import (
    ALARM_KIND_LABELS,
    ALARM_KINDS,
    CD_FUNCTION_LABELS,
    COURSE_LABELS,
    DRILL_KIND_LABELS,
    DRILL_KINDS,
    AssemblyPoint,
    CdMember,
    ClassReport,
    Drill,
    Guardian,
    PlannedDrill,
    SchoolClass,
    Student,
    TrainingRecord,
    Zone,
    clock,
)
from .permissions import DrillPerm

bp = Blueprint("drills", __name__)
# Services raise ServiceError before they write anything, so a refused form needs no rollback.
services.register_sms_texts()

menu.add(menu.MenuItem(_l("My class"), "drills.my_class", DrillPerm.REPORT, 20))
menu.add(menu.MenuItem(_l("Drills"), "drills.index", DrillPerm.VIEW, 40))
menu.add(menu.MenuItem(_l("Safety training"), "drills.training", DrillPerm.TRAINING_VIEW, 41))
menu.add(menu.MenuItem(_l("Civil defence staff"), "drills.cd_staff", DrillPerm.CD_VIEW, 83))

POLL_MS = 1500  # the board shows a report within 2 s (issue 15); unchanged answers are a 304
SEVERITY_LABELS = {"minor": _l("Minor"), "major": _l("Major"), "critical": _l("Critical")}


def _today() -> dt.date:
    return school_today(g.school)


def _may_board() -> bool:
    return services.may_see_board(current_user, g.school, g.role, _today())


def _may_run() -> bool:
    return services.may_run(current_user, g.school, g.role, _today())


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


@bp.app_template_filter("mmss")
def _mmss_filter(seconds):
    return clock(seconds)  # a drill's time as the PDF and the reports write it ("2:38")


def _ctx(**kw) -> dict:
    return {"KIND_LABELS": DRILL_KIND_LABELS, "COURSE_LABELS": COURSE_LABELS, "CD_LABELS": CD_FUNCTION_LABELS,
            "SEVERITY_LABELS": SEVERITY_LABELS, "may_run": _may_run(), "may_board": _may_board(), **kw}


# --- home page cards ---------------------------------------------------------------------


@provider
def _drill_cards(user, school, role, today):
    cards = []
    live = services.live_drill(school)
    if live is not None and has_perm(role, DrillPerm.REPORT):
        mine = services.my_classes(user, school)
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
        due = services.due_plans(school, today, within_days=14)
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
    mine = services.my_expiring(user, school, today)
    if mine:
        cards.append(Card(title=_("Your safety training expires"), urgency=40, tone="warning",
                          lines=[f"{COURSE_LABELS[r.course]}: {format_date(r.expires_on, 'medium')}" for r in mine]))
    if has_perm(role, DrillPerm.TRAINING_MANAGE):
        over = services.training_overview(school, today)
        n = len(over["expiring"]) + len(over["expired"])
        if n:
            cards.append(Card(title=_("Staff training expired or expiring"), url=url_for("drills.training"),
                              urgency=30, count=n, tone="warning"))
    return cards


# --- index, plan, charts ----------------------------------------------------------------------


def _year_rows(school, start: dt.date):
    plans = services.plan_for_year(school, start)
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
    start = services.school_year_start(today)
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
        services.save_plan(current_user, g.school, plan, kind=form.kind.data, target_date=form.target_date.data,
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
    due = [p for p in services.plan_for_year(g.school, services.school_year_start(_today()))
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


@pages_provider
def _offline_pages(user, school, role, today) -> list[str]:
    """My class, and during a drill the report form of each of my classes; while reunification is open, its
    screen and one page per class (the guard and the leaders: every class with a list; a homeroom teacher: theirs)."""
    mine = services.my_classes(user, school) if has_perm(role, DrillPerm.REPORT) else []
    pages = []
    if mine:
        live = services.live_drill(school)
        pages += [url_for("drills.my_class"),
                  *(url_for("drills.report", drill_id=live.id, drill_class_id=c.id) for c in mine if live is not None)]
    if has_perm(role, DrillPerm.REUNIFY):
        pages += _reunion_pages(school, role, mine)
    return pages


def _reunion_pages(school, role, mine) -> list[str]:
    whole_school = role is Role.GUARD or has_perm(role, DrillPerm.MANAGE)
    if not (whole_school or mine):
        return []
    drill = reunion.open_drill(school)
    if drill is None:
        return []
    own = {c.id for c in mine}
    classes = [k for k in reunion.classes_with_lists(school, drill) if whole_school or k.id in own]
    return [url_for("drills.reunion_screen", drill_id=drill.id),
            *(url_for("drills.reunion_class", drill_id=drill.id, drill_class_id=k.id) for k in classes)]


@bp.get("/drills/my")
@requires(DrillPerm.REPORT)
def my_class():
    live = services.live_drill(g.school)
    mine = services.my_classes(current_user, g.school)
    reports = {}
    if live is not None:
        reports = {r.class_id: r for r in services.reports_of(live)}
    after = reunion.open_drill(g.school) if live is None and can(DrillPerm.REUNIFY) else None
    return render_template("drills/my_class.html", **_ctx(live=live, mine=mine, reports=reports, after=after))


@bp.route("/drills/<int:drill_id>/classes/<int:drill_class_id>", methods=["GET", "POST"])
@requires(DrillPerm.REPORT)
def report(drill_id, drill_class_id):
    board_person = _may_board()
    _require(board_person or bool(services.my_classes(current_user, g.school)))
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


# --- classes, targets, assembly points -----------------------------------------------------------


@bp.get("/drills/classes")
@requires(DrillPerm.VIEW)
def classes():
    return render_template("drills/classes.html", **_ctx(classes=services.classes(g.school, active_only=False),
                                                         listed=reunion.list_counts(g.school)))


def _staff_choices(blank=None):
    staff = db.session.execute(staff_query(g.school)).all()
    pairs = [(u.id, u.full_name) for u, _role in staff if u.is_enabled]
    return choices(([(0, blank)] if blank else []) + pairs)


@bp.route("/drills/classes/new", methods=["GET", "POST"], defaults={"drill_class_id": None})
@bp.route("/drills/classes/<int:drill_class_id>/edit", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def class_edit(drill_class_id):
    klass = get_or_404(SchoolClass, drill_class_id) if drill_class_id else None
    form = ClassForm(obj=klass)
    form.homeroom_id.choices = _staff_choices(_("— none —"))
    form.assembly_point_id.choices = choices([(0, _("— none —"))] + [
        (p.id, p.name) for p in services.assembly_points(g.school, active_only=True)])
    if request.method == "GET" and klass is not None:
        form.homeroom_id.data = klass.homeroom_id or 0
        form.assembly_point_id.data = klass.assembly_point_id or 0
    if form.validate_on_submit():
        with step(form) as done:
            services.save_class(current_user, g.school, klass, name=form.name.data, grade=form.grade.data,
                                students=form.students.data, homeroom_id=form.homeroom_id.data or None,
                                assembly_point_id=form.assembly_point_id.data or None, is_active=form.is_active.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.classes"))
    return render_template("drills/class_form.html", **_ctx(form=form, klass=klass))


@bp.route("/drills/settings", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def settings():
    form = TargetsForm()
    current = services.targets(g.school)
    if request.method == "GET":
        for kind in DRILL_KINDS:
            getattr(form, f"target_{kind.value}").data = current[kind]
    if form.validate_on_submit():
        with step(form) as done:
            services.set_targets(current_user, g.school,
                                 {k.value: getattr(form, f"target_{k.value}").data for k in DRILL_KINDS})
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.settings"))
    return render_template("drills/settings.html", **_ctx(form=form, points=services.assembly_points(g.school)))


@bp.route("/drills/points/new", methods=["GET", "POST"], defaults={"assembly_point_id": None})
@bp.route("/drills/points/<int:assembly_point_id>", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def point_edit(assembly_point_id):
    point = get_or_404(AssemblyPoint, assembly_point_id) if assembly_point_id else None
    form = PointForm(obj=point)
    if form.validate_on_submit():
        with step(form) as done:
            services.save_point(current_user, g.school, point, name=form.name.data,
                                description=form.description.data or "", is_active=form.is_active.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.settings"))
    return render_template("drills/point_form.html", **_ctx(form=form, point=point))


# --- training --------------------------------------------------------------------------------------


@bp.get("/training")
@requires(DrillPerm.TRAINING_VIEW)
@personal_data("training.read_list")
def training():
    today = _today()
    over = services.training_overview(g.school, today)
    rows = list(db.session.scalars(scoped(TrainingRecord).order_by(TrainingRecord.taken_on.desc()).limit(200)))
    return render_template("drills/training.html", **_ctx(over=over, rows=rows, today=today))


@bp.route("/training/new", methods=["GET", "POST"], defaults={"training_id": None})
@bp.route("/training/<int:training_id>", methods=["GET", "POST"])
@requires(DrillPerm.TRAINING_MANAGE)
def training_edit(training_id):
    rec = get_or_404(TrainingRecord, training_id) if training_id else None
    form = TrainingForm(obj=rec)
    form.user_id.choices = _staff_choices()
    if request.method == "GET" and rec is not None:
        form.electrical_group.data = rec.electrical_group or 0
    if form.validate_on_submit():
        with step(form) as done:
            services.save_training(current_user, g.school, rec, user_id=form.user_id.data, course=form.course.data,
                                   taken_on=form.taken_on.data, expires_on=form.expires_on.data,
                                   certificate_no=form.certificate_no.data or "",
                                   electrical_group=form.electrical_group.data or None)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.training"))
    return render_template("drills/training_form.html", **_ctx(form=form, rec=rec))


# --- civil-defence staff --------------------------------------------------------------------------


@bp.get("/civil-defence")
@requires(DrillPerm.CD_VIEW)
@personal_data("cd.read_list")
def cd_staff():
    rows = services.cd_members(g.school, _today())
    return render_template("drills/cd_staff.html", **_ctx(rows=rows, may_manage=can(DrillPerm.CD_MANAGE)))


@bp.route("/civil-defence/new", methods=["GET", "POST"], defaults={"cd_member_id": None})
@bp.route("/civil-defence/<int:cd_member_id>", methods=["GET", "POST"])
@requires(DrillPerm.CD_MANAGE)
def cd_edit(cd_member_id):
    member = get_or_404(CdMember, cd_member_id) if cd_member_id else None
    form = CdForm()
    form.user_id.choices = _staff_choices()
    if request.method == "GET":
        if member is not None:
            a = member.appointment
            form.user_id.data, form.function.data, form.duties.data = a.user_id, member.function.value, member.duties
            form.order_number.data, form.order_date.data = a.order_number, a.order_date
            form.starts_on.data, form.ends_on.data = a.starts_on, a.ends_on
        else:
            form.order_date.data = form.starts_on.data = _today()
    if form.validate_on_submit():
        with step(form) as done:
            services.save_cd_member(current_user, g.school, member, user_id=form.user_id.data,
                                    function=form.function.data, duties=form.duties.data or "",
                                    order_number=form.order_number.data, order_date=form.order_date.data,
                                    starts_on=form.starts_on.data, ends_on=form.ends_on.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.cd_staff"))
    return render_template("drills/cd_form.html", **_ctx(form=form, member=member))


# --- the alarm button (every member of staff, every page, the gate phone) -------------------------

ALARM_POLL_MS = 5000


def _alarm_url(drill, user, school, role) -> str:
    """Where the banner sends this person: the board (director, duty admin), my class (homeroom), the alert."""
    if has_perm(role, DrillPerm.BOARD) and services.may_see_board(user, school, role, school_today(school)):
        return url_for("drills.board", drill_id=drill.id)
    if has_perm(role, DrillPerm.REPORT) and services.my_classes(user, school):
        return url_for("drills.my_class")
    return url_for("drills.alarm")


def _alarm_state() -> dict | None:
    school = getattr(g, "school", None)
    if school is None or not current_user.is_authenticated or not can(DrillPerm.ALARM):
        return None
    live = services.live_emergency(school)
    state = {"live": live is not None, "poll_ms": ALARM_POLL_MS}
    if live is not None:
        where = live.zone.name if live.zone is not None else ""
        state.update(id=live.id, kind=live.kind.value, label=str(ALARM_KIND_LABELS.get(live.kind, live.kind)),
                     zone=where, note=live.alarm_note, url=_alarm_url(live, current_user, school, g.role),
                     text=_("NOT A DRILL: %(kind)s", kind=ALARM_KIND_LABELS.get(live.kind, live.kind))
                     + (f" · {where}" if where else ""))
    return state


@bp.app_template_global("alarm_state")
def _alarm_state_global() -> dict | None:
    """For templates/drills/_alarm_button.html, included by base.html on every page."""
    return _alarm_state()


@bp.app_template_global("emergency_numbers")
def _emergency_numbers_global() -> list[tuple[str, str]]:
    """101, 102, 103, 112 and the school's own (the board of a real emergency)."""
    return services.emergency_numbers(g.school)


def _alarm_ctx(**kw) -> dict:
    live = services.live_emergency(g.school)
    after = reunion.open_drill(g.school) if live is None and can(DrillPerm.REUNIFY) else None
    return _ctx(live=live, numbers=services.emergency_numbers(g.school), ALARM_KINDS=ALARM_KINDS, after=after,
                ALARM_LABELS=ALARM_KIND_LABELS,
                may_cancel=live is not None and services.may_cancel(current_user, g.role, live),
                cancel_form=kw.pop("cancel_form", None) or CancelAlarmForm(formdata=None),
                cancel_minutes=services.CANCEL_MINUTES, **kw)


@bp.get("/alarm")
@requires(DrillPerm.ALARM)
def alarm():
    """Tap 1: what is happening?  During an emergency: what is going on, the numbers, calling it off."""
    return render_template("drills/alarm.html", **_alarm_ctx())


@bp.route("/alarm/raise", methods=["GET", "POST"])
@requires(DrillPerm.ALARM)
def alarm_raise():
    """Tap 2 chose the kind (?kind=); this page is the one confirmation (where, a line of text, the button)."""
    chosen = next((k for k in ALARM_KINDS if k.value == request.args.get("kind", "")), None)
    if chosen is None:
        abort(404)
    form = AlarmForm()
    zones = db.session.scalars(scoped(Zone).where(Zone.is_active.is_(True)).order_by(Zone.name)).all()
    form.zone_id.choices = choices([("", _("— not sure —"))] + [(z.id, z.name) for z in zones])
    form.kind.data = chosen.value
    if form.validate_on_submit():
        with step(form) as done:
            drill, joined = services.raise_alarm(current_user, g.school, kind=chosen, zone_id=form.zone_id.data,
                                                 note=form.note.data or "")
        if done:
            if joined:
                flash(_("An emergency is already under way: your alarm was added to it."), "warning")
            else:
                flash(_("Alarm raised. SMS queued to staff: %(n)s.", n=drill.sms_queued), "warning")
            return redirect(_alarm_url(drill, current_user, g.school, g.role))
    return render_template("drills/alarm_confirm.html", **_alarm_ctx(form=form, kind=chosen))


@bp.get("/alarm/status.json")
@requires(DrillPerm.ALARM)
def alarm_status():
    """The banner's short poll (static/js/alarm.js): is there a live emergency at my school?"""
    resp = jsonify(_alarm_state())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/drills/<int:drill_id>/cancel")
@requires(DrillPerm.ALARM)
def alarm_cancel(drill_id):
    drill = get_or_404(Drill, drill_id)
    form = CancelAlarmForm()
    if form.validate_on_submit():
        with step(form) as done:
            services.cancel_alarm(current_user, g.school, drill, g.role, reason=form.reason.data)
        if done:
            flash(_("The false alarm was called off. Staff get an SMS."), "success")
            return redirect(url_for("drills.alarm"))
    return render_template("drills/alarm.html", **_alarm_ctx(cancel_form=form)), 422


@bp.route("/drills/numbers", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def numbers():
    form = NumbersForm()
    if request.method == "GET":
        form.lines.data = "\n".join(f"{c.label}: {c.number}" for c in services.emergency_contacts(g.school))
    if form.validate_on_submit():
        with step(form) as done:
            services.save_emergency_contacts(current_user, g.school, form.lines.data or "")
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.numbers"))
    return render_template("drills/numbers.html", **_ctx(form=form, numbers=services.emergency_numbers(g.school)))


# --- reunification: class lists, the hand-over, SMS to guardians (issue 15) --------------------------------


@bp.get("/drills/classes/<int:drill_class_id>/students")
@requires(DrillPerm.MANAGE)
@personal_data("students.read_list")
def class_list(drill_class_id):
    klass = get_or_404(SchoolClass, drill_class_id)
    audit_read(klass)
    return render_template("drills/class_list.html", **_ctx(klass=klass,
                                                            students=reunion.students_of(klass, active_only=False),
                                                            delete_form=DeleteForm(formdata=None)))


@bp.route("/drills/classes/<int:drill_class_id>/students/new", methods=["GET", "POST"],
          defaults={"drill_student_id": None})
@bp.route("/drills/students/<int:drill_student_id>", methods=["GET", "POST"], defaults={"drill_class_id": None})
@requires(DrillPerm.MANAGE)
@personal_data("student.read")
def student_edit(drill_class_id, drill_student_id):
    student = get_or_404(Student, drill_student_id) if drill_student_id else None
    klass = student.school_class if student is not None else get_or_404(SchoolClass, drill_class_id)
    form = StudentForm(obj=student)
    if form.validate_on_submit():
        with step(form) as done:
            services_student = reunion.save_student(current_user, g.school, student, klass=klass,
                                                    full_name=form.full_name.data, is_active=form.is_active.data)
        if done:
            flash(_("Saved."), "success")
            if student is None:  # next: the guardians of the new child
                return redirect(url_for("drills.guardian_edit", drill_student_id=services_student.id))
            return redirect(url_for("drills.class_list", drill_class_id=klass.id))
    if student is not None:
        audit_read(student)
    return render_template("drills/student_form.html", **_ctx(form=form, klass=klass, student=student,
                                                              delete_form=DeleteForm(formdata=None)))


@bp.route("/drills/students/<int:drill_student_id>/guardians/new", methods=["GET", "POST"],
          defaults={"drill_guardian_id": None})
@bp.route("/drills/guardians/<int:drill_guardian_id>", methods=["GET", "POST"], defaults={"drill_student_id": None})
@requires(DrillPerm.MANAGE)
@personal_data("guardian.read")
def guardian_edit(drill_student_id, drill_guardian_id):
    guardian = get_or_404(Guardian, drill_guardian_id) if drill_guardian_id else None
    student = guardian.student if guardian is not None else get_or_404(Student, drill_student_id)
    form = GuardianForm(obj=guardian)
    form.region = g.school.country or "KG"
    if request.method == "GET" and guardian is None:
        form.locale.data = g.school.default_locale
    if form.validate_on_submit():
        with step(form) as done:
            reunion.save_guardian(current_user, g.school, student, guardian, full_name=form.full_name.data,
                                  relation=form.relation.data or "", phone=form.phone.e164 or form.phone.data,
                                  locale=form.locale.data, consent_on=form.consent_on.data,
                                  consent_ref=form.consent_ref.data or "", today=_today())
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.class_list", drill_class_id=student.class_id))
    audit_read(guardian or student)
    return render_template("drills/guardian_form.html", **_ctx(form=form, student=student, guardian=guardian))


@bp.post("/drills/guardians/<int:drill_guardian_id>/delete")
@requires(DrillPerm.MANAGE)
def guardian_delete(drill_guardian_id):
    guardian = get_or_404(Guardian, drill_guardian_id)
    class_id = guardian.student.class_id
    if DeleteForm().validate_on_submit():
        reunion.delete_guardian(current_user, g.school, guardian)
        flash(_("The guardian was removed from the list."), "success")
    else:
        flash(_("The form expired. Try again."), "error")
    return redirect(url_for("drills.class_list", drill_class_id=class_id))


@bp.route("/drills/students/import", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def students_import():
    form = StudentImportForm()
    problems, result = [], None
    if form.validate_on_submit():
        problems, done = student_import.from_upload(
            form.file, lambda name, data: student_import.import_file(current_user, g.school, name, data, _today()))
        if done is not None:
            students, guardians, checked = done
            result = {"students": students, "guardians": guardians, "unchanged": checked.unchanged}
    return render_template("drills/students_import.html", **_ctx(form=form, problems=problems, result=result))


def _reunion_drill(drill_id) -> Drill:
    drill = get_or_404(Drill, drill_id)
    if not reunion.applies(drill):
        abort(404)
    return drill


@bp.get("/drills/<int:drill_id>/reunion")
@requires(DrillPerm.REUNIFY)
@personal_data("reunion.search")
def reunion_screen(drill_id):
    """The gate phone's and the teachers' screen: search a child, see who is still with the school."""
    drill = _reunion_drill(drill_id)
    q = (request.args.get("q") or "").strip()[:100]
    found = reunion.search(g.school, drill, q) if q else []
    if q:
        audit_read(drill, detail=f"found={len(found)}")  # never the name searched
    return render_template("drills/reunion.html", **_ctx(drill=drill, q=q, found=found,
                                                         counts=reunion.class_counts(drill),
                                                         is_open=reunion.is_open(drill)))


@bp.get("/drills/<int:drill_id>/reunion/classes/<int:drill_class_id>")
@requires(DrillPerm.REUNIFY)
@personal_data("reunion.read_class")
def reunion_class(drill_id, drill_class_id):
    """One class's children with their guardians and a hand-over form each: the page the phones keep offline
    (docs/offline.md), searched on the phone itself when there is no signal (static/js/reunion.js)."""
    drill = _reunion_drill(drill_id)
    klass = get_or_404(SchoolClass, drill_class_id)
    rows = reunion.class_sheet(drill, klass)
    audit_read(klass, detail=f"drill={drill.id},children={len(rows)}")
    return render_template("drills/reunion_class.html", **_ctx(drill=drill, klass=klass, rows=rows,
                                                               handed=sum(1 for _s, h in rows if h is not None),
                                                               is_open=reunion.is_open(drill),
                                                               new_id=reunion.new_client_id))


def _handover_answer(student, form, status: int, stored: bool = False):
    """A record the phone's outbox sent (static/js/outbox.js): a short JSON answer, not a page.  A replay of a
    hand-over already stored (the same client id) is a success: the outbox drops it from the phone."""
    if status < 400:
        return jsonify({"ok": True, "stored": stored, "student": student.id})
    messages = [str(e) for e in form.form_errors] + [str(e) for name, errs in form.errors.items()
                                                      if name is not None for e in errs]
    return jsonify({"ok": False, "message": " ".join(messages) or _("The form expired. Try again.")}), status


@bp.route("/drills/<int:drill_id>/reunion/<int:drill_student_id>", methods=["GET", "POST"])
@requires(DrillPerm.REUNIFY)
@personal_data("reunion.read_student")
def handover(drill_id, drill_student_id):
    drill = _reunion_drill(drill_id)
    student = get_or_404(Student, drill_student_id)
    form = HandoverForm()
    form.guardian_id.choices = choices(
        [(gd.id, f"{gd.full_name}" + (f" ({gd.relation})" if gd.relation else "")) for gd in student.guardians]
        + [("", _("Another adult"))])
    if request.method == "GET":
        form.client_id.data = reunion.new_client_id()
    done_row = reunion.handover_of(drill, student)
    status = 200
    if form.validate_on_submit():
        with step(form) as done:
            # made offline: the phone's time (client_made_at); a replay of the same client id is the stored row
            row, stored = reunion.hand_over(current_user, g.school, drill, student, client_id=form.client_id.data,
                                            guardian_id=form.guardian_id.data, adult_name=form.adult_name.data or "",
                                            doc_last4=form.doc_last4.data or "", relation=form.relation.data or "",
                                            now=made_at())
        if done:
            if wants_json():
                return _handover_answer(student, form, 200, stored)
            flash(_("%(name)s handed over to %(adult)s.", name=student.full_name, adult=row.taken_by_name) if stored
                  else _("This hand-over was already recorded."), "success")
            if request.args.get("from") == "class":
                return redirect(url_for("drills.reunion_class", drill_id=drill.id, drill_class_id=student.class_id))
            return redirect(url_for("drills.reunion_screen", drill_id=drill.id))
        # Handed over before (another phone, another person): refused; the page says by whom and when (a read).
        status = 409 if isinstance(done.error, reunion.AlreadyHandedOver) else 422
        done_row = reunion.handover_of(drill, student)
    elif request.method == "POST":
        status = 422
    audit_read(student)
    if request.method == "POST" and wants_json():
        return _handover_answer(student, form, status)
    return render_template("drills/handover.html", **_ctx(drill=drill, student=student, form=form, done=done_row,
                                                          is_open=reunion.is_open(drill))), status


@bp.route("/drills/<int:drill_id>/reunion/sms", methods=["GET", "POST"])
@requires(DrillPerm.BOARD)
def reunion_sms(drill_id):
    _require(_may_board())
    drill = _reunion_drill(drill_id)
    form = ReunionSmsForm()
    counts = reunion.class_counts(drill)
    form.class_id.choices = choices([(c["klass"].id, c["klass"].name) for c in counts])
    if form.validate_on_submit():
        klass = get_or_404(SchoolClass, form.class_id.data)
        with step(form) as done:
            n = reunion.sms_guardians(current_user, g.school, drill, klass, place=form.place.data)
        if done:
            flash(ngettext("%(num)s SMS queued to the guardians of %(name)s.",
                           "%(num)s SMS queued to the guardians of %(name)s.", n, name=klass.name) if n
                  else _("No SMS queued: the guardians of %(name)s already got it, or none is listed.",
                         name=klass.name), "success")
            return redirect(url_for("drills.reunion_screen", drill_id=drill.id))
    return render_template("drills/reunion_sms.html", **_ctx(drill=drill, form=form, counts=counts)), (
        422 if request.method == "POST" else 200)
