"""Ecological safety: the overview, waste removal and its schedule, separate collection, lab residues,
the greening plan, the photos of acts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import get_or_404, requires, scoped
from ..extensions import db
from ..menu import MenuItem
from ..time import school_today
from ..uow import step
from . import services
from .forms import CollectionForm, GreeningForm, LabDisposalForm, RemovalForm, ScheduleForm
from .models import (
    COLLECTED_LABELS,
    GREENING_LABELS,
    WASTE_LABELS,
    Act,
    Collection,
    GreeningItem,
    LabDisposal,
    Removal,
)
from .permissions import EcoPerm

bp = Blueprint("ecology", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Ecology"), "ecology.index", EcoPerm.VIEW, 58),
)

RECENT = 10


def _back():
    """Where a form's "back" link leads: this area's page."""
    return url_for("ecology.index"), _("Ecology")


@bp.get("/ecology")
@requires(EcoPerm.VIEW)
def index():
    school = g.school
    today = school_today(school)
    sched = services.schedule_of(school)
    due = services.next_removal_due(school, sched)
    year_start = today.replace(month=1, day=1)
    totals = db.session.execute(sa.select(Collection.kind, sa.func.sum(Collection.quantity_kg))
                                .where(Collection.school_id == school.id, Collection.handed_on >= year_start)
                                .group_by(Collection.kind)).all()
    recent = {
        "removals": scoped(Removal).order_by(Removal.removed_on.desc(), Removal.id.desc()).limit(RECENT),
        "collections": scoped(Collection).order_by(Collection.handed_on.desc(), Collection.id.desc()).limit(RECENT),
        "disposals": scoped(LabDisposal).options(sa.orm.joinedload(LabDisposal.responsible))
        .order_by(LabDisposal.disposed_on.desc(), LabDisposal.id.desc()).limit(RECENT),
        "greening": scoped(GreeningItem)
        .where(sa.or_(GreeningItem.done_on.is_(None), GreeningItem.done_on >= year_start))
        .order_by(GreeningItem.done_on.is_not(None), GreeningItem.planned_on, GreeningItem.id).limit(50),
    }
    rows = {k: db.session.scalars(q).all() for k, q in recent.items()}
    return render_template("ecology/index.html", sched=sched, due=due, today=today, totals=totals,
                           territory=services.territory_checks(school),
                           late=(today - due).days if due and today > due else 0, **rows,
                           WASTE_LABELS=WASTE_LABELS, COLLECTED_LABELS=COLLECTED_LABELS,
                           GREENING_LABELS=GREENING_LABELS)


def _contract_choices(form) -> None:
    form.contract_id.choices = [("", _("— none —"))] + [
        (str(c.id), f"{c.title(str(get_locale() or 'ky'))} {c.number} · {c.contractor}".strip())
        for c in services.waste_contracts(g.school)]


def _form_page(form, title, hint=""):
    return render_template("_simple_form.html", back=_back(), form=form, title=title, hint=hint)


@bp.route("/ecology/schedule", methods=["GET", "POST"])
@requires(EcoPerm.MANAGE)
def schedule():
    sched = services.schedule_of(g.school)
    form = ScheduleForm(obj=sched)
    _contract_choices(form)
    if request.method == "GET" and sched is None:
        form.starts_on.data = school_today(g.school)
    if form.validate_on_submit():
        with step(form) as done:
            services.save_schedule(current_user, g.school, contract_id=form.contract_id.data,
                                   every_days=form.every_days.data, starts_on=form.starts_on.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("ecology.index"))
    return _form_page(form, _("Removal schedule"),
                      _("As the waste-removal contract says. When waste is not taken away in time, the director "
                        "and the person responsible for ecological safety get an SMS."))


@bp.route("/ecology/removals/new", methods=["GET", "POST"])
@requires(EcoPerm.MANAGE)
def removal_new():
    form = RemovalForm()
    _contract_choices(form)
    if request.method == "GET":
        form.removed_on.data = school_today(g.school)
        sched = services.schedule_of(g.school)
        form.contract_id.data = sched.contract_id if sched else None
    if form.validate_on_submit():
        with step(form) as done:
            services.add_removal(current_user, g.school, removed_on=form.removed_on.data,
                                 contract_id=form.contract_id.data, contractor=form.contractor.data,
                                 volume_m3=form.volume_m3.data, kind=form.kind.data, note=form.note.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("ecology.index"))
    return _form_page(form, _("Waste taken away"))


@bp.route("/ecology/collections/new", methods=["GET", "POST"])
@requires(EcoPerm.MANAGE)
def collection_new():
    form = CollectionForm()
    if request.method == "GET":
        form.handed_on.data = school_today(g.school)
    if form.validate_on_submit():
        with step(form) as done:
            services.add_collection(current_user, g.school, handed_on=form.handed_on.data, kind=form.kind.data,
                                    quantity_kg=form.quantity_kg.data, receiver=form.receiver.data,
                                    act_number=form.act_number.data, act=form.act.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("ecology.index"))
    return _form_page(form, _("Separate collection handed over"))


@bp.route("/ecology/lab/new", methods=["GET", "POST"])
@requires(EcoPerm.MANAGE)
def lab_new():
    form = LabDisposalForm()
    form.responsible_id.choices = [("", _("— nobody —"))] + [(str(u.id), u.full_name)
                                                             for u in services.staff(g.school)]
    if request.method == "GET":
        form.disposed_on.data = school_today(g.school)
    if form.validate_on_submit():
        with step(form) as done:
            services.add_lab_disposal(current_user, g.school, disposed_on=form.disposed_on.data,
                                      substances=form.substances.data, quantity=form.quantity.data,
                                      method=form.method.data, act_number=form.act_number.data,
                                      responsible_id=form.responsible_id.data, act=form.act.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("ecology.index"))
    return _form_page(form, _("Chemistry-lab residues disposed of"))


@bp.route("/ecology/greening/new", methods=["GET", "POST"])
@requires(EcoPerm.MANAGE)
def greening_new():
    form = GreeningForm()
    if form.validate_on_submit():
        with step(form) as done:
            services.add_greening(current_user, g.school, kind=form.kind.data, title=form.title.data,
                                  place=form.place.data, planned_on=form.planned_on.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("ecology.index"))
    return _form_page(form, _("Greening plan: add a line"))


@bp.post("/ecology/greening/<int:greening_id>/done")
@requires(EcoPerm.MANAGE)
def greening_done(greening_id):
    item = get_or_404(GreeningItem, greening_id)
    with step() as done:
        services.set_greening_done(current_user, g.school, item, request.form.get("done") == "1")
    if done:
        flash(_("Saved."), "success")
    return redirect(url_for("ecology.index"))


@bp.get("/ecology/acts/<int:eco_act_id>")
@requires(EcoPerm.VIEW)
def act(eco_act_id):
    found = get_or_404(Act, eco_act_id)
    resp = Response(found.data, mimetype="image/jpeg")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
