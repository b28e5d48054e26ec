"""The road-safety work page: the squad, its activities and competitions, joint events with the
traffic police and parent meetings."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import get_or_404, requires
from ..menu import MenuItem
from ..time import school_today
from ..uow import audit_read, personal_data, step
from . import services
from .forms import EventForm, MaterialForm, MemberForm
from .models import EVENT_LABELS, MATERIAL_LABELS, EventKind, RoadEvent, SquadMember
from .permissions import RoadPerm

bp = Blueprint("roadsafety", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Road safety work"), "roadsafety.index", RoadPerm.VIEW, 57),
)


def _back():
    """Where a form's "back" link leads: this area's page."""
    return url_for("roadsafety.index"), _("Road safety work")


@bp.get("/road-safety")
@requires(RoadPerm.VIEW)
@personal_data("roadsafety.read")
def index():
    kind = request.args.get("kind", "")
    rows = services.events(g.school, kind)
    audit_read(detail="squad")
    return render_template("roadsafety/index.html", squad=services.members(g.school), events=rows, kind=kind,
                           photos=services.has_photo(g.school, [e.id for e in rows]), EVENT_LABELS=EVENT_LABELS,
                           materials=services.materials(g.school), MATERIAL_LABELS=MATERIAL_LABELS,
                           EventKind=EventKind)


@bp.route("/road-safety/squad/new", methods=["GET", "POST"])
@requires(RoadPerm.MANAGE)
def member_new():
    form = MemberForm()
    form.class_id.choices = [("", _("— none —"))] + [(str(c.id), c.name) for c in services.classes(g.school)]
    if request.method == "GET":
        form.joined_on.data = school_today(g.school)
    if form.validate_on_submit():
        with step(form) as done:
            services.add_member(current_user, g.school, student_name=form.student_name.data,
                                class_id=form.class_id.data, is_leader=form.is_leader.data,
                                consent_paper=form.consent_paper.data, joined_on=form.joined_on.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("roadsafety.index"))
    return render_template("_simple_form.html", back=_back(), form=form,
                           title=_("Young traffic inspectors: add a member"),
                           hint=_("A student is named only with a parent's written consent; record it also in "
                                  "the consent register."))


@bp.post("/road-safety/squad/<int:member_id>/left")
@requires(RoadPerm.MANAGE)
def member_left(member_id):
    member = get_or_404(SquadMember, member_id)
    if member.left_on is not None:
        abort(409)
    with step() as done:
        services.member_left(current_user, g.school, member)
    if done:
        flash(_("Left the squad: the name is no longer kept."), "success")
    return redirect(url_for("roadsafety.index"))


@bp.route("/road-safety/events/new", methods=["GET", "POST"])
@requires(RoadPerm.MANAGE)
def event_new():
    form = EventForm()
    if request.method == "GET":
        form.held_on.data = school_today(g.school)
        if request.args.get("kind") in {k.value for k in EventKind}:
            form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        with step(form) as done:
            services.add_event(current_user, g.school, kind=form.kind.data, held_on=form.held_on.data,
                               topic=form.topic.data, participants=form.participants.data,
                               participants_count=form.participants_count.data, result=form.result.data,
                               act_number=form.act_number.data, photo=form.photo.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("roadsafety.index"))
    return render_template("_simple_form.html", back=_back(), form=form, title=_("Road-safety event"), hint="")


@bp.get("/road-safety/events/<int:road_event_id>/photo")
@requires(RoadPerm.VIEW)
@personal_data("roadsafety.photo")
def event_photo(road_event_id):
    event = get_or_404(RoadEvent, road_event_id)
    if event.photo is None:
        abort(404)
    audit_read(event)
    resp = Response(event.photo, mimetype="image/jpeg")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/road-safety/materials/new", methods=["GET", "POST"])
@requires(RoadPerm.MANAGE)
def material_new():
    form = MaterialForm()
    if request.method == "GET":
        form.added_on.data = school_today(g.school)
    if form.validate_on_submit():
        with step(form) as done:
            services.add_material(current_user, g.school, kind=form.kind.data, title=form.title.data,
                                  quantity=form.quantity.data, kept_where=form.kept_where.data,
                                  added_on=form.added_on.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("roadsafety.index"))
    return render_template("_simple_form.html", back=_back(), form=form, title=_("Teaching material"), hint="")
