"""Inspections: my checks, the run screen, assets and QR labels, schedules, corrective
actions, hazard reports, the director's overdue view, PDF and exports."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import get_or_404, requires, scoped
from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role, has_perm
from ..converters import int_arg
from ..extensions import db
from ..forms_common import choices
from ..menu import MenuItem
from ..menu import add as add_menu
from ..offline import made_at, pages_provider
from ..schools.models import AREA_LABELS, Area, Membership, Zone
from ..time import now_utc, school_today
from ..uow import audit_read, personal_data, step
from . import cards as _cards  # noqa: F401 - registers the home-page cards
from . import exports, photos, services
from .forms import ActionStatusForm, AnswerForm, AssetForm, AssignForm, CommentForm, HazardForm, ScheduleForm
from .models import (
    ACTION_STATUS_LABELS,
    ASSET_TYPE_LABELS,
    ASSIGNEE_KIND_LABELS,
    FREQUENCY_LABELS,
    OPEN_STATUSES,
    RESULT_LABELS,
    SEVERITY_LABELS,
    Answer,
    Asset,
    CorrectiveAction,
    Photo,
    Run,
    RunStatus,
    Schedule,
    Severity,
    pick_text,
)
from .periods import STATUS_LABELS, current_occurrence
from .permissions import InspPerm

bp = Blueprint("inspections", __name__, url_prefix="/inspections")

for _label, _endpoint, _perm, _order in (
    (_l("My checks"), "inspections.checks", InspPerm.RUN, 10),
    (_l("Report a hazard"), "inspections.hazard", InspPerm.RUN, 11),
    (_l("Overdue and deficiencies"), "inspections.overdue", InspPerm.VIEW, 12),
    (_l("Corrective actions"), "inspections.actions", InspPerm.VIEW, 13),
    (_l("Equipment"), "inspections.assets", InspPerm.VIEW, 20),
    (_l("Check schedules"), "inspections.schedules", InspPerm.MANAGE, 21),
    (_l("Check history"), "inspections.runs", InspPerm.VIEW, 22),
):
    add_menu(MenuItem(_label, _endpoint, _perm, _order))


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "ru")


def _tpl_globals() -> dict:
    return {"SEVERITY_LABELS": SEVERITY_LABELS, "ACTION_STATUS_LABELS": ACTION_STATUS_LABELS,
            "STATUS_LABELS": STATUS_LABELS, "RESULT_LABELS": RESULT_LABELS, "AREA_LABELS": AREA_LABELS,
            "ASSET_TYPE_LABELS": ASSET_TYPE_LABELS, "FREQUENCY_LABELS": FREQUENCY_LABELS,
            "ASSIGNEE_KIND_LABELS": ASSIGNEE_KIND_LABELS, "pick": pick_text, "lang": _lang(),
            "title_of": _title_of, "who_label": services.assignee_label,
            "action_title": services.action_title,
            "RESPONSIBLE_HOW": services.RESPONSIBLE_HOW}


def _title_of(key: str) -> str:
    cache = g.setdefault("_insp_versions", None)
    if cache is None:
        cache = g._insp_versions = services.current_versions()
    version = cache.get(key)
    return version.title(_lang()) if version else key


@bp.context_processor
def _inject():
    return _tpl_globals()


def _zones():
    return list(db.session.scalars(scoped(Zone).where(Zone.is_active.is_(True)).order_by(Zone.name)))


def _staff():
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == g.school.id, User.is_enabled.is_(True)).order_by(User.full_name)))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


@pages_provider
def _offline_pages(user, school, role, today) -> list[str]:
    """My checks (and each zone's: the zone link of a duty post), the hazard form and every run
    the person may work on today (started or not)."""
    if not has_perm(role, InspPerm.RUN):
        return []
    urls = [url_for("inspections.checks"), url_for("inspections.hazard")]
    dues = services.my_checks(user, school, role)
    zones = sorted({z for z in (_zone_of(d.schedule) for d in dues) if z is not None})
    urls += [url_for("inspections.checks", zone=z) for z in zones]
    for d in dues:
        if d.run is not None:
            if not d.run.is_done:
                urls.append(url_for("inspections.run", run_id=d.run.id))
        elif d.status.value in ("due", "overdue", "upcoming"):
            urls.append(url_for("inspections.walk", schedule_id=d.schedule.id))
    return urls


# --------------------------------------------------------------------------- my checks and runs


@bp.get("/checks")
@requires(InspPerm.RUN)
def checks():
    """My checks; ``?zone=`` (the zone link of a duty post, a zone's QR): only that zone's checks,
    the zone's name as the heading, with a link back to all of them."""
    now = now_utc()
    dues = services.my_checks(current_user, g.school, g.role, now)
    zone_id = int_arg("zone")
    zone = get_or_404(Zone, zone_id) if zone_id else None
    if zone is not None:
        dues = [d for d in dues if _zone_of(d.schedule) == zone.id]
    return render_template("inspections/checks.html", dues=dues, zone=zone)


def _zone_of(schedule) -> int | None:
    """The zone a check is done in: its own, or its equipment's."""
    if schedule.zone_id is not None:
        return schedule.zone_id
    return schedule.asset.zone_id if schedule.asset is not None else None


@bp.post("/checks/<int:schedule_id>/start")
@requires(InspPerm.RUN)
def start(schedule_id):
    schedule = get_or_404(Schedule, schedule_id)
    with step() as done:
        run = services.start_run(current_user, g.school, schedule, now=made_at())
    if not done:
        return redirect(url_for("inspections.checks"))
    return redirect(url_for("inspections.run", run_id=run.id))


@bp.get("/checks/<int:schedule_id>/walk")
@requires(InspPerm.RUN)
def walk(schedule_id):
    """The run screen of a check before it is started: the phone keeps it, so the check can be
    done with no signal; its first answer starts the run (of the period the answer was made in)."""
    schedule = get_or_404(Schedule, schedule_id)
    today = school_today(g.school)
    occ = current_occurrence(schedule, today, g.school.timezone) if schedule.is_active else None
    version = services.current_versions().get(schedule.template_key)
    if occ is None or version is None:
        flash(_("This check is not due today."), "error")
        return redirect(url_for("inspections.checks"))
    existing = db.session.scalar(sa.select(Run.id).where(Run.school_id == g.school.id, Run.schedule_id == schedule.id,
                                                         Run.period_start == occ.start))
    if existing is not None:
        return redirect(url_for("inspections.run", run_id=existing))
    draft = Run(school_id=g.school.id, schedule_id=schedule.id, period_start=occ.start, version=version,
                zone=schedule.zone or (schedule.asset.zone if schedule.asset else None), asset=schedule.asset,
                status=RunStatus.IN_PROGRESS, is_qr_verified=False)
    ctx = _run_context(draft)
    ctx.update(group=f"s{schedule.id}-{occ.start.isoformat()}",
               answer_url=url_for("inspections.answer_due", schedule_id=schedule.id),
               finish_url=url_for("inspections.finish_due", schedule_id=schedule.id))
    return render_template("inspections/run.html", **ctx)


def _start_for_phone(schedule_id):
    """The run an answer made on the walk screen belongs to (started once, in the period it was made)."""
    schedule = get_or_404(Schedule, schedule_id)
    with step(flash_category=None) as started:
        run = services.start_run(current_user, g.school, schedule, now=made_at())
    return run if started else None, started


@bp.post("/checks/<int:schedule_id>/answer")
@requires(InspPerm.RUN)
def answer_due(schedule_id):
    run, started = _start_for_phone(schedule_id)
    if run is None:
        return _refused(started.error, url_for("inspections.checks"))
    return _answer(run)


@bp.post("/checks/<int:schedule_id>/finish")
@requires(InspPerm.RUN)
def finish_due(schedule_id):
    run, started = _start_for_phone(schedule_id)
    if run is None:
        return _refused(started.error, url_for("inspections.checks"))
    return _finish(run)


def _refused(err, back: str):
    if _wants_json():
        return jsonify({"ok": False, "message": str(err.message), "field": err.field}), getattr(err, "status", 409)
    flash(str(err.message), "error")
    return redirect(back)


@bp.get("/q/<asset_token>")
@requires(InspPerm.RUN)
def qr(asset_token):
    """The URL on an asset's QR label: starts (or resumes) its check, marked "QR verified"."""
    asset = services.asset_by_token(g.school, asset_token)
    if asset is None:
        abort(404)
    dues = [d for d in services.current_dues(g.school) if d.schedule.asset_id == asset.id]
    open_dues = [d for d in dues if d.status.value != "done"]
    if not open_dues:
        flash(_("No check of this equipment is due now."), "success")
        return redirect(url_for("inspections.asset", asset_id=asset.id))
    with step() as done:
        run = services.start_run(current_user, g.school, open_dues[0].schedule, qr=True)
    if not done:
        return redirect(url_for("inspections.asset", asset_id=asset.id))
    flash(_("QR verified: you are at %(code)s.", code=asset.code), "success")
    return redirect(url_for("inspections.run", run_id=run.id))


def _run_context(run: Run, errors: dict | None = None, typed: dict | None = None) -> dict:
    answers = {a.item_id: a for a in run.answers}
    missing = {i["id"] for i in services.missing_photos(run)}
    form = AnswerForm()
    return {"run": run, "answers": answers, "missing": missing, "errors": errors or {}, "typed": typed or {},
            "form": form, "new_uuid": lambda: str(uuid.uuid4()),
            "progress": services.run_progress(run), "lang": _lang()}


@bp.get("/runs/<int:run_id>")
@requires(InspPerm.VIEW)
def run(run_id):
    run = get_or_404(Run, run_id)
    return render_template("inspections/run.html", **_run_context(run))


@bp.post("/runs/<int:run_id>/answer")
@requires(InspPerm.RUN)
def answer(run_id):
    return _answer(get_or_404(Run, run_id))


def _newer_answer(run: Run, item_id: str, made, client_uuid: str | None) -> Answer | None:
    """Two phones ticked the same item offline: the tick made last wins, whatever order they arrive in."""
    if made is None:
        return None
    current = db.session.scalar(sa.select(Answer).where(Answer.school_id == run.school_id, Answer.run_id == run.id,
                                                        Answer.item_id == item_id))
    if current is None or current.client_uuid == (client_uuid or "").strip() or current.answered_dt <= made:
        return None
    return current


def _answer(run: Run):
    form = AnswerForm()
    made = made_at()
    item_id = (request.form.get("item_id") or "").strip()
    result = (request.form.get("result") or "").strip()
    upload = request.files.get("photo")
    with step(flash_category=None) as saved:
        if not form.validate_on_submit():
            raise services.Refused(_("Unknown item."), "item_id", status=400 if not item_id else 422)
        photo = photos.save_photo(current_user, g.school, upload) if photos.has_upload(upload) else None
        newer = _newer_answer(run, item_id, made, form.client_uuid.data) if result else None
        if newer is not None:  # kept in the history (the audit event below), not over the later tick
            ans = newer
        elif result:
            ans = services.tick(current_user, g.school, run, item_id=item_id, result=result,
                                note=form.note.data or "", client_uuid=form.client_uuid.data or None, photo=photo,
                                now=made)
        elif photo is not None:
            ans = services.add_answer_photo(current_user, g.school, run, item_id, photo)
        else:
            raise services.Refused(_("Choose Pass, Fail or N/A."), "result")
        if made is not None and result:  # made on the phone: its time and the server's (the event's) both kept
            record(current_user, g.school, "run.tick", run,
                   detail=f"item={item_id},result={result},made={made.isoformat()}{',older' if newer else ''}")
    if not saved:
        err = saved.error
        status = getattr(err, "status", 422)
        if _wants_json():
            return jsonify({"ok": False, "message": str(err.message), "field": err.field, "item_id": item_id}), status
        db.session.refresh(run)
        ctx = _run_context(run, errors={item_id: str(err.message)},
                           typed={item_id: {"note": form.note.data or "", "result": result}})
        return render_template("inspections/run.html", **ctx), status
    db.session.refresh(run)
    done, total = services.run_progress(run)
    if _wants_json():
        return jsonify({"ok": True, "item_id": ans.item_id, "result": ans.result.value, "done": done, "total": total,
                        "needs_photo": ans.item_id in {i["id"] for i in services.missing_photos(run)},
                        "has_photo": ans.photo_id is not None})
    return redirect(url_for("inspections.run", run_id=run.id, _anchor=f"item-{item_id}"))


@bp.post("/runs/<int:run_id>/finish")
@requires(InspPerm.RUN)
def finish(run_id):
    return _finish(get_or_404(Run, run_id))


def _finish(run: Run):
    with step() as done:
        services.finish_run(current_user, g.school, run, now=made_at())
    if not done:
        return redirect(url_for("inspections.run", run_id=run.id))
    flash(_("Check finished. Thank you."), "success")
    return redirect(url_for("inspections.checks"))


@bp.get("/runs/<int:run_id>/pdf")
@requires(InspPerm.VIEW)
@personal_data("run.pdf")
def run_pdf(run_id):
    run = get_or_404(Run, run_id)
    if not run.is_done:
        flash(_("The PDF is made when the check is finished."), "error")
        return redirect(url_for("inspections.run", run_id=run.id))
    from .pdf import run_pdf as make_pdf

    data = make_pdf(run, g.school, _lang())
    audit_read(run)
    return send_file(exports.as_stream(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"check-{run.id}.pdf")


@bp.get("/runs")
@requires(InspPerm.VIEW)
def runs():
    zone_id = int_arg("zone")
    asset_id = int_arg("asset")
    q = scoped(Run).order_by(Run.started_dt.desc()).limit(100)
    if zone_id:
        q = q.where(Run.zone_id == zone_id)
    if asset_id:
        q = q.where(Run.asset_id == asset_id)
    rows = list(db.session.scalars(q.options(sa.orm.selectinload(Run.version), sa.orm.selectinload(Run.zone),
                                             sa.orm.selectinload(Run.asset), sa.orm.selectinload(Run.answers))))
    return render_template("inspections/runs.html", runs=rows, zones=_zones(), zone_id=zone_id, asset_id=asset_id)


@bp.get("/photos/<int:photo_id>")
@requires(InspPerm.PHOTOS)
@personal_data("inspection.photo.read")
def photo(photo_id):
    p = get_or_404(Photo, photo_id)
    audit_read(p)
    path = photos.photo_path(p)
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype="image/jpeg", max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# --------------------------------------------------------------------------- assets


@bp.get("/assets")
@requires(InspPerm.VIEW)
def assets():
    zone_id = int_arg("zone")
    q = scoped(Asset).order_by(Asset.is_active.desc(), Asset.asset_type, Asset.code)
    if zone_id:
        q = q.where(Asset.zone_id == zone_id)
    rows = list(db.session.scalars(q.options(sa.orm.selectinload(Asset.zone))))
    return render_template("inspections/assets.html", assets=rows, zones=_zones(), zone_id=zone_id,
                           today=school_today(g.school))


@bp.get("/assets/<int:asset_id>")
@requires(InspPerm.VIEW)
def asset(asset_id):
    a = get_or_404(Asset, asset_id)
    dues = [d for d in services.current_dues(g.school) if d.schedule.asset_id == a.id]
    history = list(db.session.scalars(scoped(Run).where(Run.asset_id == a.id).order_by(Run.started_dt.desc())
                                      .limit(24)))
    actions = services.sorted_actions(db.session.scalars(scoped(CorrectiveAction).where(
        CorrectiveAction.asset_id == a.id, CorrectiveAction.status.in_(OPEN_STATUSES))))
    return render_template("inspections/asset.html", asset=a, dues=dues, history=history, actions=actions,
                           today=school_today(g.school))


@bp.route("/assets/new", methods=["GET", "POST"], defaults={"asset_id": None})
@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@requires(InspPerm.MANAGE)
def asset_edit(asset_id):
    a = get_or_404(Asset, asset_id) if asset_id else None
    form = AssetForm(obj=a)
    form.zone_id.choices = choices([("", "—")] + [(z.id, z.name) for z in _zones()])
    if form.validate_on_submit():
        with step(form) as done:
            a = services.save_asset(current_user, g.school, a,
                                    **{f.name: f.data for f in form if f.name != "csrf_token"})
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("inspections.asset", asset_id=a.id))
    return render_template("inspections/asset_form.html", form=form, asset=a)


@bp.get("/assets/labels")
@requires(InspPerm.MANAGE)
def labels():
    """An A4 sheet of QR labels (print from the browser)."""
    zone_id = int_arg("zone")
    q = scoped(Asset).where(Asset.is_active.is_(True)).order_by(Asset.code)
    if zone_id:
        q = q.where(Asset.zone_id == zone_id)
    rows = list(db.session.scalars(q))
    labels = [(a, exports.qr_svg(url_for("inspections.qr", asset_token=a.token, _external=True))) for a in rows]
    return render_template("inspections/labels.html", labels=labels, zones=_zones(), zone_id=zone_id)


# --------------------------------------------------------------------------- schedules


@bp.get("/schedules")
@requires(InspPerm.MANAGE)
def schedules():
    rows = list(db.session.scalars(scoped(Schedule).order_by(Schedule.is_active.desc(), Schedule.template_key,
                                                             Schedule.id)))
    dues = {d.schedule.id: d for d in services.current_dues(g.school)}
    return render_template("inspections/schedules.html", schedules=rows, dues=dues)


@bp.route("/schedules/new", methods=["GET", "POST"], defaults={"schedule_id": None})
@bp.route("/schedules/<int:schedule_id>", methods=["GET", "POST"])
@requires(InspPerm.MANAGE)
def schedule_edit(schedule_id):
    s = get_or_404(Schedule, schedule_id) if schedule_id else None
    versions = services.ensure_templates()
    form = ScheduleForm(obj=s)
    form.template_key.choices = choices(sorted(((k, v.title(_lang())) for k, v in versions.items()),
                                               key=lambda p: p[1]))
    form.zone_id.choices = choices([("", "—")] + [(z.id, z.name) for z in _zones()])
    assets = list(db.session.scalars(scoped(Asset).where(Asset.is_active.is_(True)).order_by(Asset.code)))
    form.asset_id.choices = choices([("", "—")] + [(a.id, f"{a.code} · {ASSET_TYPE_LABELS[a.asset_type]}")
                                                   for a in assets])
    form.assignee_user_id.choices = choices([("", "—")] + [(u.id, u.full_name) for u in _staff()])
    if request.method == "GET" and s is None:
        key = request.args.get("template")
        if key in versions:
            c = versions[key].content
            form.template_key.data = key
            form.frequency.data = c["frequency"]
            form.opens_time.data = dt.time.fromisoformat(c["window"]["opens"])
            form.due_time.data = dt.time.fromisoformat(c["window"]["due"])
            form.assignee_role.data = c["default_assignee_role"]
    if form.validate_on_submit():
        with step(form) as done:
            s = services.save_schedule(current_user, g.school, s,
                                       **{f.name: f.data for f in form if f.name != "csrf_token"})
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("inspections.schedules"))
    return render_template("inspections/schedule_form.html", form=form, schedule=s)


# --------------------------------------------------------------------------- corrective actions


@bp.get("/actions")
@requires(InspPerm.VIEW)
def actions():
    mine = request.args.get("mine") == "1"
    show = request.args.get("show", "open")
    severity = request.args.get("severity")
    severity = severity if severity in set(Severity) else None  # an unknown value shows every severity
    q = scoped(CorrectiveAction)
    if show != "all":
        q = q.where(CorrectiveAction.status.in_(OPEN_STATUSES))
    if mine:
        q = q.where(CorrectiveAction.assignee_id == current_user.id)
    if severity:
        q = q.where(CorrectiveAction.severity == severity)
    rows = services.sorted_actions(db.session.scalars(
        q.order_by(CorrectiveAction.created_dt.desc()).limit(300)
        .options(sa.orm.selectinload(CorrectiveAction.zone), sa.orm.selectinload(CorrectiveAction.assignee))))
    return render_template("inspections/actions.html", actions=rows, mine=mine, show=show, severity=severity,
                           severities=SEVERITY_LABELS,
                           today=school_today(g.school))


@bp.get("/actions/<int:action_id>")
@requires(InspPerm.VIEW)
def action(action_id):
    a = get_or_404(CorrectiveAction, action_id)
    return _render_action(a)


def _render_action(a, status_form=None, comment_form=None, assign_form=None, code=200):
    today = school_today(g.school)
    assign_form = assign_form or AssignForm(assignee_id=a.assignee_id)
    assign_form.assignee_id.choices = choices([("", "—")] + [(u.id, u.full_name) for u in _staff()])
    role = g.role
    return render_template(
        "inspections/action.html", action=a, today=today, status_form=status_form or ActionStatusForm(),
        comment_form=comment_form or CommentForm(), assign_form=assign_form,
        next_steps=services.TRANSITIONS[a.status],
        may_work=services.can_work_on(current_user, role, a),
        may_verify=services.can_verify(current_user, role, g.school, a, today),
        may_assign=role in services.MANAGER_ROLES and role is not Role.INSPECTOR), code


@bp.post("/actions/<int:action_id>/status")
@requires(InspPerm.RUN)
def action_status(action_id):
    a = get_or_404(CorrectiveAction, action_id)
    form = ActionStatusForm()
    if not form.validate_on_submit():
        return _render_action(a, status_form=form, code=422)
    upload = request.files.get("photo")
    with step(form) as done:
        photo = photos.save_photo(current_user, g.school, upload) if photos.has_upload(upload) else None
        services.set_action_status(current_user, g.role, g.school, a, form.status.data, note=form.note.data or "",
                                   photo=photo)
    if not done:
        return _render_action(a, status_form=form, code=422)
    flash(_("Saved."), "success")
    return redirect(url_for("inspections.action", action_id=a.id))


@bp.post("/actions/<int:action_id>/comment")
@requires(InspPerm.RUN)
def action_comment(action_id):
    a = get_or_404(CorrectiveAction, action_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_action(a, comment_form=form, code=422)
    services.comment(current_user, g.school, a, form.text.data)
    return redirect(url_for("inspections.action", action_id=a.id, _anchor="comments"))


@bp.post("/actions/<int:action_id>/assign")
@requires(InspPerm.MANAGE)
def action_assign(action_id):
    a = get_or_404(CorrectiveAction, action_id)
    form = AssignForm()
    form.assignee_id.choices = choices([("", "—")] + [(u.id, u.full_name) for u in _staff()])
    if not form.validate_on_submit():
        return _render_action(a, assign_form=form, code=422)
    with step(form) as done:
        services.reassign(current_user, g.school, a, form.assignee_id.data)
    if not done:
        return _render_action(a, assign_form=form, code=422)
    flash(_("Saved."), "success")
    return redirect(url_for("inspections.action", action_id=a.id))


@bp.route("/hazard", methods=["GET", "POST"])
@requires(InspPerm.RUN)
def hazard():
    form = HazardForm()
    form.zone_id.choices = choices([("", "—")] + [(z.id, z.name) for z in _zones()])
    if request.method == "GET":
        form.client_uuid.data = str(uuid.uuid4())
    if form.validate_on_submit():
        upload = request.files.get("photo")
        with step(form) as done:
            photo = photos.save_photo(current_user, g.school, upload) if photos.has_upload(upload) else None
            a = services.open_action(current_user, g.school, title=form.title.data, severity=form.severity.data,
                                     area=form.area.data, zone_id=form.zone_id.data,
                                     description=form.description.data or "", source="hazard",
                                     photo_id=photo.id if photo else None, client_uuid=form.client_uuid.data or None,
                                     now=made_at())
            if made_at() is not None:  # made on the phone: its time beside the event's (the server's)
                record(current_user, g.school, "action.hazard_made", a, detail=f"made={made_at().isoformat()}")
        if done:
            flash(_("Thank you. The hazard is reported and assigned."), "success")
            return redirect(url_for("inspections.action", action_id=a.id))
    return render_template("inspections/hazard.html", form=form), (422 if form.errors else 200)


# --------------------------------------------------------------------------- the director's view


@bp.get("/overdue")
@requires(InspPerm.VIEW)
@personal_data("overdue.read")
def overdue():
    zone_id = int_arg("zone")
    area = request.args.get("area") or None
    if area not in {a.value for a in Area}:
        area = None
    assignee_id = int_arg("assignee")
    view = services.overdue_view(g.school, zone_id=zone_id, area=area, assignee_id=assignee_id)
    return render_template("inspections/overdue.html", view=view, zones=_zones(), staff=_staff(),
                           zone_id=zone_id, area=area, assignee_id=assignee_id, areas=list(Area),
                           today=school_today(g.school))


@bp.get("/export")
@requires(InspPerm.EXPORT)
def export():
    what = request.args.get("what")
    fmt = request.args.get("fmt")
    if what not in ("runs", "actions", "overdue") or fmt not in ("csv", "xlsx"):
        return render_template("inspections/export.html"), 200
    header, rows = exports.rows_for(what, g.school, _lang())
    record(current_user, g.school, f"export.{what}", detail=fmt)
    data, mimetype = exports.encode(header, rows, fmt)
    return send_file(exports.as_stream(data), mimetype=mimetype, as_attachment=True,
                     download_name=f"{what}-{school_today(g.school).isoformat()}.{fmt}")
