"""Drills pages: reunification after the all clear (issue 15): the search screen, a class's page that the phones
keep offline, the hand-over of a child, the SMS to a class's guardians.  Routes of the `drills` blueprint
(`blueprint.bp`)."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..access import get_or_404, requires
from ..auth.roles import Role, has_perm
from ..errors import wants_json
from ..forms_common import choices
from ..offline import made_at
from ..uow import audit_read, personal_data, step
from . import reunion
from .blueprint import _ctx, _may_board, _require, bp
from .forms import HandoverForm, ReunionSmsForm
from .models import Drill, SchoolClass, Student
from .permissions import DrillPerm

# --- reunification: the hand-over, SMS to guardians (issue 15) ---------------------------------------------


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
