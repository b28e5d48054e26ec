"""Gate pages of the night rounds: the guard's rounds and a checkpoint's scan (its code typed, or its QR
label's link), the checkpoints with their QR labels, and the gate's settings.
Routes of the gate blueprint (`blueprint.bp`); `views.py` imports this module so that they are registered."""

from __future__ import annotations

import secrets

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_or_404, requires, scoped
from ..audit.services import record
from ..errors_service import ServiceError
from ..extensions import db
from ..forms_common import choices
from ..offline import made_at
from ..schools.models import Zone
from ..uow import step
from .blueprint import _now, _render, bp
from .forms import CheckpointForm, CodeForm, ScanForm, SettingsForm
from .models import Checkpoint
from .permissions import GatePerm
from .rounds import active_checkpoints, add_checkpoint, checkpoint_by_code, current_night, night_rounds, record_scan
from .settings import parse_round_times, settings_for


@bp.get("/rounds")
@requires(GatePerm.LOG)
def rounds():
    night = current_night(g.school)
    form = CodeForm()
    form.client_id.data = secrets.token_hex(16)
    return _render("gate/rounds.html", slots=night_rounds(g.school, night), night=night, form=form,
                   now=_now())


@bp.post("/rounds/scan")
@requires(GatePerm.LOG)
def scan_code():
    form = CodeForm()
    if form.validate_on_submit():
        with step(form) as done:
            cp = checkpoint_by_code(g.school, form.code.data)
            _scan, created = record_scan(current_user, g.school, cp, method="code",
                                                  client_id=form.client_id.data, now=made_at())
        if done:
            flash(_("Checkpoint %(name)s: done.", name=cp.name) if created else _("Already recorded."), "success")
            return redirect(url_for("gate.rounds"))
    night = current_night(g.school)
    return _render("gate/rounds.html", slots=night_rounds(g.school, night), night=night, form=form,
                   now=_now()), 422


@bp.route("/c/<cp_code>", methods=["GET", "POST"])
@requires(GatePerm.LOG)
def checkpoint_scan(cp_code):
    """The link in a checkpoint's QR label: opened by any camera app while signed in."""
    try:
        cp = checkpoint_by_code(g.school, cp_code)
    except ServiceError as err:
        return _render("gate/scan_unknown.html", message=err.message), 404
    form = ScanForm()
    if request.method == "GET":
        form.client_id.data = secrets.token_hex(16)
    elif form.validate_on_submit():
        _scan, created = record_scan(current_user, g.school, cp, method="qr", client_id=form.client_id.data,
                                              now=made_at())
        flash(_("Checkpoint %(name)s: done.", name=cp.name) if created else _("Already recorded."), "success")
        return redirect(url_for("gate.rounds"))
    return _render("gate/scan.html", cp=cp, form=form)


@bp.route("/checkpoints", methods=["GET", "POST"])
@requires(GatePerm.MANAGE)
def checkpoints():
    form = CheckpointForm()
    zones = db.session.scalars(scoped(Zone).where(Zone.is_active.is_(True)).order_by(Zone.name))
    form.zone_id.choices = choices([(0, _("— no zone —"))] + [(z.id, z.name) for z in zones])
    if form.validate_on_submit():
        with step(form) as done:
            add_checkpoint(current_user, g.school, name=form.name.data, zone_id=form.zone_id.data or None)
        if done:
            flash(_("Checkpoint added."), "success")
            return redirect(url_for("gate.checkpoints"))
    rows = active_checkpoints(g.school)
    return _render("gate/checkpoints.html", rows=rows, form=form)


@bp.get("/checkpoints/<int:checkpoint_id>/qr.svg")
@requires(GatePerm.MANAGE)
def checkpoint_qr(checkpoint_id):
    import io

    import segno

    cp = get_or_404(Checkpoint, checkpoint_id)
    out = io.BytesIO()
    segno.make(url_for("gate.checkpoint_scan", cp_code=cp.code, _external=True), error="m").save(
        out, kind="svg", scale=6, border=2, xmldecl=False)
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/checkpoints/labels")
@requires(GatePerm.MANAGE)
def labels():
    return _render("gate/labels.html", rows=active_checkpoints(g.school))


@bp.route("/settings", methods=["GET", "POST"])
@requires(GatePerm.MANAGE)
def settings():
    row = settings_for(g.school, create=True)
    form = SettingsForm(obj=row)
    if form.validate_on_submit():
        form.populate_obj(row)
        row.round_times = ", ".join(t.strftime("%H:%M") for t in parse_round_times(form.round_times.data))
        record(current_user, g.school, "gate.settings.update", row)
        flash(_("Saved."), "success")
        return redirect(url_for("gate.index"))
    return _render("gate/settings.html", form=form)
