"""Inspections: my checks, the run screen, assets and QR labels, schedules, corrective
actions, hazard reports, the director's overdue view, PDF and exports.

The blueprint and the shared view helpers are in `blueprint.py`; this module holds the menu, the offline
pages, assets, schedules, the overdue view and exports, and imports the other route modules
(`views_runs`: my checks and runs; `views_actions`: corrective actions and hazards) so that their routes
are registered on the one blueprint."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import get_or_404, requires, scoped
from ..audit.services import record
from ..auth.roles import has_perm
from ..converters import int_arg
from ..extensions import db
from ..forms_common import choices
from ..menu import MenuItem
from ..schools.models import Area
from ..time import school_today
from ..uow import personal_data, step
from . import exports, services
from . import views_actions as _actions_routes  # noqa: F401 - registers its routes on bp
from . import views_runs as _runs_routes  # noqa: F401 - registers its routes on bp
from .blueprint import _lang, _staff, _zone_of, _zones, bp
from .forms import AssetForm, ScheduleForm
from .models import ASSET_TYPE_LABELS, OPEN_STATUSES, Asset, CorrectiveAction, Run, Schedule
from .permissions import InspPerm

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("My checks"), "inspections.checks", InspPerm.RUN, 10),
    MenuItem(_l("Report a hazard"), "inspections.hazard", InspPerm.RUN, 11),
    MenuItem(_l("Overdue and deficiencies"), "inspections.overdue", InspPerm.VIEW, 12),
    MenuItem(_l("Corrective actions"), "inspections.actions", InspPerm.VIEW, 13),
    MenuItem(_l("Equipment"), "inspections.assets", InspPerm.VIEW, 20),
    MenuItem(_l("Check schedules"), "inspections.schedules", InspPerm.MANAGE, 21),
    MenuItem(_l("Check history"), "inspections.runs", InspPerm.VIEW, 22),
)


def offline_pages(user, school, role, today) -> list[str]:
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
