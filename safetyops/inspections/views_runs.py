"""Inspections pages: my checks, the run screen (started, or walked before it starts with no signal), the
QR label's link, answers and photos, finishing a run, its PDF, and the check history."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_or_404, requires, scoped
from ..audit.services import record
from ..converters import int_arg
from ..extensions import db
from ..offline import made_at
from ..schools.models import Zone
from ..time import now_utc, school_today
from ..uow import audit_read, personal_data, step
from . import exports, photos, services
from .blueprint import _lang, _wants_json, _zone_of, _zones, bp
from .forms import AnswerForm
from .models import Answer, Photo, Run, RunStatus, Schedule
from .periods import current_occurrence
from .permissions import InspPerm


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
