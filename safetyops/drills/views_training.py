"""Drills pages: the staff's safety training and the civil-defence staff.  Routes of the `drills` blueprint
(`blueprint.bp`)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can, get_or_404, requires, scoped
from ..extensions import db
from ..uow import personal_data, step
from . import civil_defence
from .blueprint import _ctx, _staff_choices, _today, bp
from .forms import CdForm, TrainingForm
from .models import CdMember, TrainingRecord
from .permissions import DrillPerm
from .training import save_training, training_overview

# --- training --------------------------------------------------------------------------------------


@bp.get("/training")
@requires(DrillPerm.TRAINING_VIEW)
@personal_data("training.read_list")
def training():
    today = _today()
    over = training_overview(g.school, today)
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
            save_training(current_user, g.school, rec, user_id=form.user_id.data, course=form.course.data,
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
    rows = civil_defence.cd_members(g.school, _today())
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
            civil_defence.save_cd_member(current_user, g.school, member, user_id=form.user_id.data,
                                         function=form.function.data, duties=form.duties.data or "",
                                         order_number=form.order_number.data, order_date=form.order_date.data,
                                         starts_on=form.starts_on.data, ends_on=form.ends_on.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.cd_staff"))
    return render_template("drills/cd_form.html", **_ctx(form=form, member=member))
