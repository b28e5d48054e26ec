"""Canteen: today's sittings, the week's schedule and its approval, the person in charge,
the daily sanitary check and the breakfast tally."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import can, get_or_404, requires
from ..auth.models import User
from ..auth.roles import Role, has_perm
from ..converters import date_arg, int_arg
from ..dashboard.cards import Card
from ..errors_service import ServiceError
from ..extensions import db
from ..forms_common import choices
from ..menu import MenuItem
from ..schools.calendar import calendar_for
from ..schools.models import Membership
from ..time import school_today
from ..uow import personal_data, step
from . import services
from .forms import DutyForm, SettingsForm, SittingForm
from .models import SCHEDULE_STATUS_LABELS, Sitting
from .permissions import CHECK_ROLES, CanPerm

bp = Blueprint("canteen", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Canteen"), "canteen.index", CanPerm.VIEW, 45),
)


def _lang() -> str:
    return str(get_locale() or g.school.default_locale)


def _day_arg(default: dt.date) -> dt.date:
    return date_arg("day") or default


# --- home page cards -----------------------------------------------------------------------------------------


def home_cards(user, school, role, today):
    cards = []
    upcoming = services.next_meal_times(user, school, today)
    if upcoming is not None:
        day, meals = upcoming
        for klass, sitting in meals:
            title = _("Class %(cls)s eats at %(time)s", cls=klass.name, time=services.meal_time_text(sitting))
            if day != today:
                title = _("%(meal)s on %(day)s", meal=title, day=services.WEEKDAYS[day.weekday()])
            cards.append(Card(title=title, lines=[_("Canteen, until %(end)s", end=sitting.ends.strftime("%H:%M"))],
                              url=url_for("canteen.index", day=day.isoformat()), urgency=45 if day == today else 8))
    in_charge = any(u.id == user.id for u in services.in_charge(school, today))
    if (in_charge or role == Role.CANTEEN) and services.canteen_open(calendar_for(school), today):
        check = services.sanitary_check(school, today)
        engine = services.engine_check(school, today)  # the inspections engine shows its own "my checks"
        if engine is None and (check is None or not check.is_complete):
            cards.append(Card(title=_("Canteen sanitary check"), url=url_for("canteen.sanitary"), urgency=60,
                              tone="warning", lines=[_("Not done yet today.")]))
        primary = services.classes(school, primary_only=True)
        if primary:
            missing = len([c for c in primary if c.id not in services.tallies_on(school, today)])
            if missing:
                cards.append(Card(title=_("Breakfast tally"), url=url_for("canteen.tally"), urgency=40,
                                  count=missing, lines=[_("Classes not entered yet today.")]))
    if has_perm(role, CanPerm.APPROVE) and services.draft_schedule(school, create=False) is not None:
        cards.append(Card(title=_("Canteen schedule awaiting approval"), url=url_for("canteen.schedule", draft=1),
                          urgency=50, tone="warning"))
    return cards


# --- today and the schedule ----------------------------------------------------------------------------------


@bp.get("/canteen")
@requires(CanPerm.VIEW)
def index():
    today = school_today(g.school)
    day = _day_arg(today)
    approved = services.approved_schedule(g.school)
    rows, peak, marks = services.timeline(g.school, day.weekday(), approved)
    check = services.sanitary_check(g.school, day)
    engine = services.engine_check(g.school, day)
    tallies = services.tallies_on(g.school, day)
    primary = services.classes(g.school, primary_only=True)
    calendar = calendar_for(g.school)
    closed = "" if services.canteen_open(calendar, day) else calendar.why_not(day, services.SIX_DAYS)
    return render_template("canteen/index.html", day=day, today=today, rows=rows, peak=peak, marks=marks,
                           closed=closed,
                           conf=services.settings(g.school), approved=approved, check=check,
                           in_charge=services.in_charge(g.school, day), tallies=tallies, engine=engine, primary=primary,
                           mine=[] if closed else services.my_meal_times(current_user, g.school, day),
                           weekday=services.WEEKDAYS[day.weekday()])


@bp.get("/canteen/schedule")
@requires(CanPerm.VIEW)
def schedule():
    today = school_today(g.school)
    weekday = int_arg("weekday", today.weekday())
    weekday = weekday if 0 <= weekday <= 6 else 0
    draft = services.draft_schedule(g.school, create=False)
    approved = services.approved_schedule(g.school)
    show_draft = bool(request.args.get("draft")) and draft is not None
    shown = draft if show_draft else approved
    if shown is None and draft is not None and can(CanPerm.EDIT):
        shown, show_draft = draft, True
    rows, peak, marks = services.timeline(g.school, weekday, shown)
    return render_template("canteen/schedule.html", rows=rows, peak=peak, marks=marks, weekday=weekday,
                           weekdays=services.WEEKDAYS, short_days=_short_days(),
                           draft=draft, approved=approved, show_draft=show_draft,
                           shown=shown, conf=services.settings(g.school), STATUS=SCHEDULE_STATUS_LABELS)


def _short_days() -> list[str]:
    monday = dt.date(2024, 1, 1)
    return [format_date(monday + dt.timedelta(days=i), "EEE") for i in range(7)]


def _sitting_form(sitting: Sitting | None):
    form = SittingForm(obj=sitting)
    form.class_id.choices = choices([("", _("— choose —"))] + [(c.id, f"{c.name} ({c.students})")
                                                               for c in services.classes(g.school)])
    return form


@bp.route("/canteen/sittings/new", methods=["GET", "POST"], defaults={"sitting_id": None})
@bp.route("/canteen/sittings/<int:sitting_id>", methods=["GET", "POST"])
@requires(CanPerm.EDIT)
def sitting_edit(sitting_id):
    sitting = get_or_404(Sitting, sitting_id) if sitting_id else None
    form = _sitting_form(sitting)
    if request.method == "GET":
        if sitting is not None:
            form.weekdays.data = [sitting.weekday]
        else:
            weekday = int_arg("weekday", lo=0, hi=6)
            form.weekdays.data = [0, 1, 2, 3, 4] if weekday is None else [weekday]
    if form.validate_on_submit():
        with step(form) as done:
            new = services.save_sitting(current_user, g.school, sitting, class_id=form.class_id.data,
                                        weekdays=[w for w in form.weekdays.data if w is not None],
                                        starts=form.starts.data, ends=form.ends.data)
        if done:
            flash(_("Saved in the draft. The director approves the schedule."), "success")
            return redirect(url_for("canteen.schedule", draft=1, weekday=new[0].weekday))
        form.class_id.choices = _sitting_form(None).class_id.choices
    return render_template("canteen/sitting_form.html", form=form, sitting=sitting, weekdays=services.WEEKDAYS)


@bp.post("/canteen/sittings/<int:sitting_id>/delete")
@requires(CanPerm.EDIT)
def sitting_delete(sitting_id):
    sitting = get_or_404(Sitting, sitting_id)
    weekday = sitting.weekday
    services.delete_sitting(current_user, g.school, sitting)
    flash(_("Removed from the draft."), "success")
    return redirect(url_for("canteen.schedule", draft=1, weekday=weekday))


@bp.post("/canteen/schedule/approve")
@requires(CanPerm.APPROVE)
def approve():
    with step() as done:
        services.approve(current_user, g.school)
    if not done:
        return redirect(url_for("canteen.schedule", draft=1))
    flash(_("Schedule approved: teachers now see their classes' meal times."), "success")
    return redirect(url_for("canteen.schedule"))


@bp.post("/canteen/schedule/discard")
@requires(CanPerm.EDIT)
def discard():
    services.discard_draft(current_user, g.school)
    flash(_("Draft discarded."), "success")
    return redirect(url_for("canteen.schedule"))


@bp.route("/canteen/settings", methods=["GET", "POST"])
@requires(CanPerm.EDIT)
def settings():
    conf = services.settings(g.school)
    form = SettingsForm(obj=conf)
    if form.validate_on_submit():
        with step(form) as done:
            with db.session.begin_nested():  # a refusal undoes only this attempt
                services.save_settings(current_user, g.school, capacity=form.capacity.data,
                                       day_starts=form.day_starts.data, day_ends=form.day_ends.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("canteen.schedule"))
    return render_template("canteen/settings.html", form=form)


# --- person in charge ---------------------------------------------------------------------------------------------


def _checkers():
    return list(db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.school_id == g.school.id, Membership.role.in_(CHECK_ROLES), User.is_enabled.is_(True))
        .order_by(User.full_name)))


@bp.route("/canteen/duty", methods=["GET", "POST"])
@requires(CanPerm.EDIT)
def duty():
    today = school_today(g.school)
    form = DutyForm()
    form.user_id.choices = choices([("", _("— nobody —"))] + [(u.id, u.full_name) for u in _checkers()])
    if request.method == "GET":
        form.day.data = today
    if form.validate_on_submit():
        with step(form) as done:
            with db.session.begin_nested():  # a refusal undoes only this attempt
                services.assign_duty(current_user, g.school, day=form.day.data, user_id=form.user_id.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("canteen.duty"))
    days = [today + dt.timedelta(days=i) for i in range(14)]
    week = [(d, services.in_charge(g.school, d)) for d in days if d.weekday() < 6]
    return render_template("canteen/duty.html", form=form, week=week, weekdays=services.WEEKDAYS)


# --- sanitary check -----------------------------------------------------------------------------------------------


@bp.route("/canteen/sanitary", methods=["GET", "POST"])
@requires(CanPerm.CHECK)
def sanitary():
    today = school_today(g.school)
    day = _day_arg(today)
    if day > today:
        day = today
    engine = services.engine_check(g.school, day)
    if engine is not None and engine.run is not None:
        return redirect(url_for("inspections.run", run_id=engine.run.id))
    template, _digest = services.sanitary_template()
    lang = _lang()
    errors: dict[str, str] = {}
    typed: dict[str, tuple] = {}
    if request.method == "POST" and template is not None and engine is None:
        for item in template.items:
            answer = request.form.get(f"item-{item.id}", "")
            note = request.form.get(f"note-{item.id}", "").strip()
            if answer in ("ok", "fail"):
                typed[item.id] = (answer == "ok", note)
        with step(flash_category=None) as done:
            _check, failed = services.save_sanitary(current_user, g.school, day, typed, lang)
        if not done:
            errors[done.error.field or ""] = str(done.error.message)
        else:
            if failed:
                flash(_("Saved. Problems found: %(n)s — tell the director.", n=len(failed)), "warning")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("canteen.sanitary", day=day.isoformat()))
    check = services.sanitary_check(g.school, day)
    if not typed and check is not None:
        typed = {t.item_id: (t.is_ok, t.note) for t in check.ticks}
    return render_template("canteen/sanitary.html", template=template, lang=lang, day=day, today=today, check=check,
                           typed=typed, errors=errors, engine=engine)


# --- breakfast tally ----------------------------------------------------------------------------------------------


@bp.route("/canteen/tally", methods=["GET", "POST"])
@requires(CanPerm.CHECK)
def tally():
    today = school_today(g.school)
    day = _day_arg(today)
    if day > today:
        day = today
    primary = services.classes(g.school, primary_only=True)
    errors: dict[int, dict[str, str]] = {}
    typed: dict[int, dict[str, str]] = {}
    if request.method == "POST":
        with step(flash_category=None) as all_saved:  # all classes or none
            saved = _save_tallies(primary, day, typed, errors)
        if not all_saved:
            flash(str(all_saved.error.message), "error")
        else:
            flash(ngettext_saved(saved), "success")
            return redirect(url_for("canteen.tally", day=day.isoformat()))
    existing = services.tallies_on(g.school, day)
    for klass in primary:
        if klass.id not in typed and klass.id in existing:
            t = existing[klass.id]
            typed[klass.id] = {"served": str(t.served), "absent": str(t.absent), "substitutions": str(t.substitutions)}
    return render_template("canteen/tally.html", primary=primary, day=day, today=today, typed=typed, errors=errors,
                           existing=existing)


def _save_tallies(primary, day, typed, errors) -> int:
    """Save each typed class; a refusal marks its class.  Any refusal undoes them all (ServiceError)."""
    saved = 0
    for klass in primary:
        raw = {k: request.form.get(f"{k}-{klass.id}", "").strip() for k in ("served", "absent", "substitutions")}
        if not any(raw.values()):
            continue
        typed[klass.id] = raw
        values = {}
        for k, v in raw.items():
            try:
                values[k] = int(v or 0)
            except ValueError:
                values[k] = -1
        with step(flash_category=None) as done:
            services.save_tally(current_user, g.school, class_id=klass.id, day=day, **values)
        if done:
            saved += 1
        else:
            errors[klass.id] = {done.error.field or "served": str(done.error.message)}
    if errors:
        raise ServiceError(_l("Nothing was saved: correct the marked classes."))
    return saved


def ngettext_saved(n: int) -> str:
    from flask_babel import ngettext

    return ngettext("Saved for %(num)s class.", "Saved for %(num)s classes.", n)


def _month_arg():
    today = school_today(g.school)
    try:
        y, m = map(int, request.args.get("month", "").split("-"))
        if not 1 <= m <= 12 or not 2000 <= y <= 2100:
            raise ValueError
    except ValueError:
        y, m = today.year, today.month
    return y, m


@bp.get("/canteen/tally/month")
@requires(CanPerm.ACCOUNTS)
def tally_month():
    y, m = _month_arg()
    rows, total = services.month_summary(g.school, y, m)
    prev = dt.date(y, m, 1) - dt.timedelta(days=1)
    nxt = dt.date(y, m, 28) + dt.timedelta(days=5)
    return render_template("canteen/tally_month.html", rows=rows, total=total, year=y, month=m,
                           title=format_date(dt.date(y, m, 1), "LLLL yyyy"), prev=prev.strftime("%Y-%m"),
                           nxt=nxt.strftime("%Y-%m"))


@bp.get("/canteen/tally/month.xlsx")
@requires(CanPerm.ACCOUNTS)
@personal_data("canteen.tally_export")
def tally_export():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    y, m = _month_arg()
    rows, total = services.month_summary(g.school, y, m)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{y}-{m:02d}"
    ws.append([g.school.name])
    ws.append([_("Primary-grade breakfasts"), format_date(dt.date(y, m, 1), "LLLL yyyy")])
    ws.append([])
    head = [_("Class"), _("Class size"), _("Days"), _("Breakfasts served"), _("Absent"), _("Substitutions")]
    ws.append(head)
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([r.klass.name, r.klass.students, r.days, r.served, r.absent, r.substitutions])
    if total is not None:
        ws.append([_("Total"), sum(r.klass.students for r in rows), total.days, total.served, total.absent,
                   total.substitutions])
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    daily = wb.create_sheet(_("By day")[:31])
    daily.append([_("Date"), _("Class"), _("Class size"), _("Breakfasts served"), _("Absent"), _("Substitutions")])
    for t in services.month_daily(g.school, y, m):
        daily.append([t.day, t.school_class.name, t.class_size, t.served, t.absent, t.substitutions])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="breakfasts-{y}-{m:02d}.xlsx"'})


