"""Inspections pages: corrective actions (the list, one action, its steps, comments and assignee) and the
hazard report."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_or_404, requires, scoped
from ..audit.services import record
from ..auth.roles import Role
from ..extensions import db
from ..forms_common import choices
from ..offline import made_at
from ..time import school_today
from ..uow import step
from . import photos, services
from .blueprint import _staff, _zones, bp
from .forms import ActionStatusForm, AssignForm, CommentForm, HazardForm
from .models import OPEN_STATUSES, SEVERITY_LABELS, CorrectiveAction, Severity
from .permissions import InspPerm


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
