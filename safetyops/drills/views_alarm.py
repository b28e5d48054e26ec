"""Drills pages: the alarm button (every member of staff, every page, the gate phone), calling off a false alarm,
and the school's emergency numbers.  Routes and template globals of the `drills` blueprint (`blueprint.bp`)."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can, get_or_404, requires, scoped
from ..auth.roles import has_perm
from ..extensions import db
from ..forms_common import choices
from ..time import school_today
from ..uow import step
from . import contacts, planning, reunion, services
from .blueprint import _ctx, bp
from .forms import AlarmForm, CancelAlarmForm, NumbersForm
from .models import ALARM_KIND_LABELS, ALARM_KINDS, Drill, Zone
from .permissions import DrillPerm

# --- the alarm button (every member of staff, every page, the gate phone) -------------------------

ALARM_POLL_MS = 5000


def _alarm_url(drill, user, school, role) -> str:
    """Where the banner sends this person: the board (director, duty admin), my class (homeroom), the alert."""
    if has_perm(role, DrillPerm.BOARD) and services.may_see_board(user, school, role, school_today(school)):
        return url_for("drills.board", drill_id=drill.id)
    if has_perm(role, DrillPerm.REPORT) and planning.my_classes(user, school):
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
    return contacts.emergency_numbers(g.school)


def _alarm_ctx(**kw) -> dict:
    live = services.live_emergency(g.school)
    after = reunion.open_drill(g.school) if live is None and can(DrillPerm.REUNIFY) else None
    return _ctx(live=live, numbers=contacts.emergency_numbers(g.school), ALARM_KINDS=ALARM_KINDS, after=after,
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
        form.lines.data = "\n".join(f"{c.label}: {c.number}" for c in contacts.emergency_contacts(g.school))
    if form.validate_on_submit():
        with step(form) as done:
            contacts.save_emergency_contacts(current_user, g.school, form.lines.data or "")
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.numbers"))
    return render_template("drills/numbers.html", **_ctx(form=form, numbers=contacts.emergency_numbers(g.school)))
