"""Duty rosters: my duty, the school by day and week, print/PDF, swaps, check-in, the director's tools."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import menu
from ..access import get_or_404, public, requires
from ..auth.roles import ROLE_LABELS, Role, has_perm
from ..converters import date_arg
from ..dashboard.cards import Card
from ..errors_service import ServiceError
from ..extensions import db
from ..forms_common import choices
from ..schools.calendar import calendar_for
from ..schools.models import Zone
from ..time import now_utc, school_today
from ..uow import personal_data, step
from . import feed as duty_feed
from . import printing, services, staff_import
from . import swaps as duty_swaps
from .forms import (
    WEEKDAY_LABELS,
    GenerateForm,
    ImportForm,
    PersonForm,
    PostForm,
    SettingsForm,
    UnavailabilityForm,
)
from .models import (
    DAYS_RULE_LABELS,
    GUARD_POST_KINDS,
    POST_KIND_LABELS,
    SWAP_STATUS_LABELS,
    Post,
    RosterRun,
    Shift,
    Swap,
    SwapStatus,
    Unavailability,
    days_of,
)
from .permissions import RosterPerm

bp = Blueprint("rosters", __name__, url_prefix="/rosters")

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    menu.MenuItem(_l("Duty roster"), "rosters.week", RosterPerm.VIEW, 10),
    menu.MenuItem(_l("Duty posts"), "rosters.posts", RosterPerm.MANAGE, 60),
    menu.MenuItem(_l("Make the roster"), "rosters.generate", RosterPerm.MANAGE, 61),
)


# --- helpers ------------------------------------------------------------------------------------


def _day_arg(name="d") -> dt.date:
    """?d=: unreadable → today; a date no school means (year 1, 9999) → 400."""
    return date_arg(name) or school_today(g.school)


def _kinds_for(role):
    """Guards see the gate and night posts; everyone else sees the whole roster."""
    return GUARD_POST_KINDS if role == Role.GUARD else None


def _zone_checks_url(zone_id):
    if zone_id and "inspections.checks" in current_app.view_functions:
        return url_for("inspections.checks", zone=zone_id)
    return None


def _staff_choices(roles=None):
    rows = services.staff_of(g.school)
    return choices([(0, "—")] + [(u.id, f"{u.full_name} · {ROLE_LABELS[r]}") for u, r in rows
                                 if roles is None or r.value in roles])


def _fail(err: ServiceError, endpoint: str, **values):
    flash(str(err.message), "error")
    return redirect(_safe_next(url_for(endpoint, **values)))


def _safe_next(default: str) -> str:
    nxt = request.form.get("next", "")
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else default


def _local(value):
    return services.local(value, g.school)


@bp.app_template_global("roster_local")
def _roster_local(value):
    """A UTC datetime in the current school's zone (a global, so imported macros see it)."""
    return services.local(value, g.school) if getattr(g, "school", None) else value


# --- home page cards ------------------------------------------------------------------------------


def home_cards(user, school, role, today):
    if not has_perm(role, RosterPerm.VIEW):
        return []
    cards = []
    now = now_utc()
    mine = [s for s in services.duties_of(user, school, today) if s.end_dt > now]
    yesterday_night = [s for s in services.duties_of(user, school, today - dt.timedelta(days=1))
                       if s.end_dt > now]
    mine = yesterday_night + mine
    if mine:
        soon = any(s.start_dt - services.CHECKIN_EARLY <= now and not s.checked_in_dt for s in mine)
        cards.append(Card(title=_("My duty today"), url=url_for("rosters.my"), urgency=95 if soon else 60,
                          tone="warning" if soon else "", template="rosters/_card_today.html",
                          data={"shifts": mine, "now": now, "early": services.CHECKIN_EARLY,
                                "checks": {s.id: _zone_checks_url(s.post.zone_id) for s in mine}}))
    else:
        upcoming = services.shifts_between(school, today + dt.timedelta(days=1), today + dt.timedelta(days=7),
                                           user_id=user.id)
        if upcoming:
            cards.append(Card(title=_("My next duty"), url=url_for("rosters.my"), urgency=15,
                              lines=[f"{_local(s.start_dt):%d.%m %H:%M} · {s.post.name}" for s in upcoming[:3]]))
    if services.may_oversee(user, school, role, today):
        missing = services.missing_checkins(school, now)
        if missing:
            cards.append(Card(title=_("Not at their post"), url=url_for("rosters.checkins"), urgency=100,
                              tone="danger", count=len(missing),
                              lines=[f"{s.user.full_name} · {s.post.name} · {_local(s.start_dt):%H:%M}"
                                     for s in missing[:5]]))
        waiting = [s for s in duty_swaps.open_swaps(school) if s.status == SwapStatus.ACCEPTED]
        if waiting:
            cards.append(Card(title=_("Swaps to approve"), url=url_for("rosters.swaps"), urgency=45,
                              tone="warning", count=len(waiting)))
    return cards


# --- my duty ------------------------------------------------------------------------------------


@bp.get("/")
@requires(RosterPerm.VIEW)
def my():
    today = school_today(g.school)
    shifts = services.shifts_between(g.school, today - dt.timedelta(days=1), today + dt.timedelta(days=13),
                                     user_id=current_user.id)
    now = now_utc()
    shifts = [s for s in shifts if s.end_dt > now]
    offered = {sw.shift_id: sw for sw in duty_swaps.open_swaps(g.school)}
    return render_template("rosters/my.html", shifts=shifts, now=now, today=today, offered=offered,
                           early=services.CHECKIN_EARLY,
                           checks={s.id: _zone_checks_url(s.post.zone_id) for s in shifts})


@bp.post("/shifts/<int:shift_id>/checkin")
@requires(RosterPerm.VIEW)
def checkin(shift_id):
    shift = get_or_404(Shift, shift_id)
    with step(flash_category=None) as done:
        services.check_in(current_user, g.school, shift)
    if not done:
        return _fail(done.error, "rosters.my")
    flash(_("Checked in at %(post)s.", post=shift.post.name), "success")
    return redirect(_safe_next(url_for("rosters.my")))


@bp.post("/shifts/<int:shift_id>/offer")
@requires(RosterPerm.VIEW)
def offer(shift_id):
    shift = get_or_404(Shift, shift_id)
    with step(flash_category=None) as done:
        duty_swaps.offer(current_user, g.school, shift)
    if not done:
        return _fail(done.error, "rosters.my")
    flash(_("Your duty is offered to colleagues."), "success")
    return redirect(url_for("rosters.swaps"))


# --- swaps ----------------------------------------------------------------------------------------


@bp.get("/swaps")
@requires(RosterPerm.VIEW)
def swaps():
    today = school_today(g.school)
    rows = duty_swaps.open_swaps(g.school)
    kinds = _kinds_for(g.role)
    if kinds is not None:
        rows = [s for s in rows if s.shift.post.kind in kinds]
    return render_template("rosters/swaps.html", swaps=rows, STATUS=SWAP_STATUS_LABELS, SwapStatus=SwapStatus,
                           oversee=services.may_oversee(current_user, g.school, g.role, today),
                           my_role=g.role.value)


def _swap_action(swap_id, fn, done_message):
    swap = get_or_404(Swap, swap_id)
    with step(flash_category=None) as done:
        fn(swap)
    if not done:
        return _fail(done.error, "rosters.swaps")
    flash(done_message, "success")
    return redirect(url_for("rosters.swaps"))


@bp.post("/swaps/<int:swap_id>/accept")
@requires(RosterPerm.VIEW)
def swap_accept(swap_id):
    return _swap_action(swap_id, lambda s: duty_swaps.accept(current_user, g.school, s),
                        _("You took the duty. It is yours once approved."))


@bp.post("/swaps/<int:swap_id>/approve")
@requires(RosterPerm.VIEW)
def swap_approve(swap_id):
    return _swap_action(swap_id, lambda s: duty_swaps.approve(current_user, g.school, s, g.role),
                        _("Swap approved."))


@bp.post("/swaps/<int:swap_id>/decline")
@requires(RosterPerm.VIEW)
def swap_decline(swap_id):
    return _swap_action(swap_id, lambda s: duty_swaps.decline(current_user, g.school, s, g.role), _("Done."))


@bp.get("/checkins")
@requires(RosterPerm.VIEW)
@personal_data("roster.read_checkins")
def checkins():
    today = school_today(g.school)
    allowed = services.may_oversee(current_user, g.school, g.role, today)
    now = now_utc()
    missing = services.missing_checkins(g.school, now) if allowed else []
    running = []
    if allowed:
        running = [s for s in services.shifts_between(g.school, today - dt.timedelta(days=1), today)
                   if s.start_dt <= now < s.end_dt]
    return render_template("rosters/checkins.html", allowed=allowed, missing=missing, running=running,
                           grace=services.settings_of(g.school).checkin_grace_minutes)


# --- the school by day and by week -------------------------------------------------------------------


@bp.get("/day")
@requires(RosterPerm.VIEW)
@personal_data("roster.read_day")
def day():
    d = _day_arg()
    shifts = services.shifts_between(g.school, d, d, kinds=_kinds_for(g.role))
    return render_template("rosters/day.html", d=d, shifts=shifts, prev=d - dt.timedelta(days=1),
                           next=d + dt.timedelta(days=1), today=school_today(g.school))


def _week_of(d: dt.date):
    monday = d - dt.timedelta(days=d.weekday())
    return monday, [monday + dt.timedelta(days=i) for i in range(7)]


def _person_grid(shifts, first: dt.date, last: dt.date) -> tuple[list, dict]:
    """For the grid view: [(days of a week, people with duties that week, {(user_id, day): [shifts]})]
    from Monday of `first` to `last`, and {day: why it is not a school day} from the school calendar."""
    cal = calendar_for(g.school)
    mask = services.settings_of(g.school).school_weekday_mask
    weeks = []
    monday = first - dt.timedelta(days=first.weekday())
    while monday <= last:
        days = [monday + dt.timedelta(days=i) for i in range(7)]
        mine = [s for s in shifts if monday <= s.day <= days[-1]]
        if mine:
            people = sorted({s.user_id: s.user for s in mine}.values(), key=lambda u: u.full_name)
            cells: dict = {}
            for s in mine:
                cells.setdefault((s.user_id, s.day), []).append(s)
            weeks.append((days, people, cells))
        monday += dt.timedelta(days=7)
    off = {d: cal.why_not(d, mask) for days, _p, _c in weeks for d in days if not cal.is_school_day(d, mask)}
    return weeks, off


@bp.get("/week")
@requires(RosterPerm.VIEW)
@personal_data("roster.read_week")
def week():
    monday, days = _week_of(_day_arg())
    shifts = services.shifts_between(g.school, days[0], days[-1], kinds=_kinds_for(g.role))
    by_day = {d: [s for s in shifts if s.day == d] for d in days}
    grid_weeks, off = _person_grid(shifts, days[0], days[-1])
    return render_template("rosters/week.html", monday=monday, days=days, by_day=by_day,
                           prev=monday - dt.timedelta(days=7), next=monday + dt.timedelta(days=7),
                           today=school_today(g.school), grid_weeks=grid_weeks, off=off)


def _week_grid(d):
    monday, days = _week_of(d)
    shifts = services.shifts_between(g.school, days[0], days[-1], kinds=_kinds_for(g.role))
    days = [x for x in days if x.weekday() < 5 or any(s.day == x for s in shifts)]
    posts = sorted({s.post for s in shifts}, key=lambda p: (p.position, p.name))
    grid = {(s.post_id, s.day): s for s in shifts}
    return monday, days, posts, grid


def _director_name() -> str:
    """The director's name for the approval block (the first enabled director of the school)."""
    return next((u.full_name for u, role in services.staff_of(g.school) if role == Role.DIRECTOR and u.is_enabled),
                "")


@bp.get("/print")
@requires(RosterPerm.VIEW)
@personal_data("roster.read_print")
def print_week():
    monday, days, posts, grid = _week_grid(_day_arg())
    return render_template("rosters/print.html", monday=monday, days=days, posts=posts, grid=grid,
                           short=printing.short_name, WEEKDAYS=WEEKDAY_LABELS, director_name=_director_name())


@bp.get("/week.pdf")
@requires(RosterPerm.VIEW)
@personal_data("roster.pdf")
def pdf_week():
    monday, days, posts, grid = _week_grid(_day_arg())
    try:
        data = printing.week_pdf(g.school, monday, days, posts, grid, _director_name())
    except ServiceError as err:
        flash(str(err.message), "error")
        return redirect(url_for("rosters.print_week", d=monday.isoformat()))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="roster-{monday.isoformat()}.pdf"'})


# --- iCal -----------------------------------------------------------------------------------------


@bp.route("/calendar", methods=["GET", "POST"])
@requires(RosterPerm.VIEW)
def feed():
    if request.method == "POST":  # CSRF is checked for every POST by Flask-WTF's CSRFProtect
        if request.form.get("action") == "revoke":
            duty_feed.revoke_feed_token(current_user, g.school)
            flash(_("The calendar link no longer works."), "success")
        else:
            duty_feed.renew_feed_token(current_user, g.school)
            flash(_("A new calendar link is ready; the old one no longer works."), "success")
        return redirect(url_for("rosters.feed"))
    token = duty_feed.feed_token_of(current_user, g.school)
    url = url_for("rosters.feed_ics", feed_token=token.token, _external=True) if token else None
    return render_template("rosters/feed.html", url=url, webcal=url.replace("https://", "webcal://").replace(
        "http://", "webcal://") if url else None)


@bp.get("/calendar/<feed_token>.ics")
@public
def feed_ics(feed_token):
    feed = duty_feed.feed_by_token(feed_token)
    if feed is None:
        abort(404)
    data = duty_feed.ical(feed)
    return Response(data, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


# --- the director: posts, settings, unavailability -----------------------------------------------------


@bp.get("/posts")
@requires(RosterPerm.MANAGE)
def posts():
    return render_template("rosters/posts.html", posts=services.posts_of(g.school), KIND=POST_KIND_LABELS,
                           DAYS=DAYS_RULE_LABELS, ROLE_LABELS=ROLE_LABELS)


@bp.route("/posts/new", methods=["GET", "POST"], defaults={"post_id": None})
@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
@requires(RosterPerm.MANAGE)
def post_edit(post_id):
    post = get_or_404(Post, post_id) if post_id else None
    form = PostForm(obj=post)
    zones = db.session.scalars(sa.select(Zone).where(Zone.school_id == g.school.id, Zone.is_active.is_(True))
                               .order_by(Zone.name))
    form.zone_id.choices = choices([(0, "—")] + [(z.id, z.name) for z in zones])
    if request.method == "GET":
        if post is not None:
            form.weekdays.data = days_of(post.weekday_mask)
            form.eligible_roles.data = sorted(post.roles)
            form.kind.data, form.days.data = post.kind.value, post.days.value
            form.zone_id.data = post.zone_id or 0
        else:
            form.eligible_roles.data = ["teacher"]
            form.weekdays.data = [0, 1, 2, 3, 4]
    if form.validate_on_submit():
        with step(form) as done:
            services.save_post(current_user, g.school, post, name=form.name.data, kind=form.kind.data,
                               zone_id=form.zone_id.data or None, days=form.days.data, weekdays=form.weekdays.data,
                               start_time=form.start_time.data, end_time=form.end_time.data,
                               eligible_roles=form.eligible_roles.data or [], is_active=form.is_active.data,
                               position=form.position.data or 0)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("rosters.posts"))
    return render_template("rosters/post_form.html", form=form, post=post)


@bp.route("/settings", methods=["GET", "POST"])
@requires(RosterPerm.MANAGE)
def settings():
    current = services.settings_of(g.school)
    form = SettingsForm(obj=current)
    if request.method == "GET":
        form.school_weekdays.data = days_of(current.school_weekday_mask)
    if form.validate_on_submit():
        with step(form) as done:
            services.save_settings(current_user, g.school, school_weekdays=form.school_weekdays.data,
                                   max_per_week=form.max_per_week.data,
                                   rest_hours_after_night=form.rest_hours_after_night.data or 0,
                                   is_swap_approval_required=form.is_swap_approval_required.data,
                                   checkin_grace_minutes=form.checkin_grace_minutes.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("rosters.generate"))
    return render_template("rosters/settings.html", form=form)


@bp.route("/unavailability", methods=["GET", "POST"])
@requires(RosterPerm.MANAGE)
def unavailability():
    form = UnavailabilityForm()
    form.user_id.choices = _staff_choices()
    if form.validate_on_submit():
        with step(form) as done:
            services.add_unavailability(current_user, g.school, user_id=form.user_id.data,
                                        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                        weekdays=form.weekdays.data, note=form.note.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("rosters.unavailability"))
    today = school_today(g.school)
    rows = db.session.scalars(
        sa.select(Unavailability).where(Unavailability.school_id == g.school.id,
                                        sa.or_(Unavailability.ends_on.is_(None), Unavailability.ends_on >= today))
        .order_by(Unavailability.starts_on))
    return render_template("rosters/unavailability.html", form=form, rows=list(rows), WEEKDAYS=WEEKDAY_LABELS,
                           days_of=days_of)


@bp.post("/unavailability/<int:unav_id>/delete")
@requires(RosterPerm.MANAGE)
def unavailability_delete(unav_id):
    services.delete_unavailability(current_user, g.school, get_or_404(Unavailability, unav_id))
    flash(_("Deleted."), "success")
    return redirect(url_for("rosters.unavailability"))


# --- the director: generate, preview, adjust, publish ---------------------------------------------------


@bp.route("/generate", methods=["GET", "POST"])
@requires(RosterPerm.MANAGE)
def generate():
    form = GenerateForm()
    today = school_today(g.school)
    if request.method == "GET":
        form.starts_on.data = today + dt.timedelta(days=1)
        form.ends_on.data = today + dt.timedelta(days=35)
    if form.validate_on_submit():
        with step(form) as done:
            run = services.generate(current_user, g.school, form.starts_on.data, form.ends_on.data)
        if done:
            return redirect(url_for("rosters.preview", roster_run_id=run.id))
    return render_template("rosters/generate.html", form=form, settings=services.settings_of(g.school),
                           posts=services.posts_of(g.school, active_only=True),
                           latest=services.latest_run(g.school))


@bp.get("/runs/<int:roster_run_id>")
@requires(RosterPerm.MANAGE)
def preview(roster_run_id):
    run = get_or_404(RosterRun, roster_run_id)
    shifts = services.shifts_between(g.school, run.starts_on, run.ends_on, published_only=False)
    people = {u.id: (u, r) for u, r in services.staff_of(g.school)}
    counts = sorted(((people[int(k)][0], people[int(k)][1], v) for k, v in run.report.get("counts", {}).items()
                     if int(k) in people), key=lambda row: (row[1].value, -row[2], row[0].full_name))
    by_day: dict = {}
    for s in shifts:
        by_day.setdefault(s.day, []).append(s)
    unfilled = [dict(u, day=dt.date.fromisoformat(u["day"]), why=services.unfilled_reason_text(u["reasons"]))
                for u in run.report.get("unfilled", [])]
    drafts = sum(1 for s in shifts if not s.is_published)
    grid_weeks, off = _person_grid(shifts, run.starts_on, run.ends_on)
    return render_template("rosters/preview.html", run=run, by_day=by_day, counts=counts, unfilled=unfilled,
                           drafts=drafts, ROLE_LABELS=ROLE_LABELS, grid_weeks=grid_weeks, off=off)


@bp.post("/runs/<int:roster_run_id>/publish")
@requires(RosterPerm.MANAGE)
def publish(roster_run_id):
    run = get_or_404(RosterRun, roster_run_id)
    n = services.publish(current_user, g.school, run)
    flash(_("Published: %(n)s duties are now visible to staff.", n=n), "success")
    return redirect(url_for("rosters.week", d=run.starts_on.isoformat()))


@bp.route("/shifts/<int:shift_id>", methods=["GET", "POST"])
@requires(RosterPerm.MANAGE)
def shift_edit(shift_id):
    shift = get_or_404(Shift, shift_id)
    form = PersonForm()
    form.user_id.choices = _staff_choices(shift.post.roles | {"director", "deputy"})
    if request.method == "GET":
        form.user_id.data = shift.user_id
    if form.validate_on_submit():
        with step(form) as done:
            services.reassign(current_user, g.school, shift, form.user_id.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(_safe_next(url_for("rosters.day", d=shift.day.isoformat())))
    return render_template("rosters/shift_form.html", form=form, shift=shift, post=shift.post, day=shift.day,
                           next=request.args.get("next", ""))


@bp.post("/shifts/<int:shift_id>/delete")
@requires(RosterPerm.MANAGE)
def shift_delete(shift_id):
    shift = get_or_404(Shift, shift_id)
    d = shift.day
    with step(flash_category=None) as done:
        services.delete_shift(current_user, g.school, shift)
    if not done:
        return _fail(done.error, "rosters.day", d=d.isoformat())
    flash(_("Deleted."), "success")
    return redirect(_safe_next(url_for("rosters.day", d=d.isoformat())))


@bp.route("/posts/<int:post_id>/fill", methods=["GET", "POST"])
@requires(RosterPerm.MANAGE)
def shift_new(post_id):
    post = get_or_404(Post, post_id)
    d = _day_arg()
    form = PersonForm()
    form.user_id.choices = _staff_choices(post.roles | {"director", "deputy"})
    if form.validate_on_submit():
        with step(form) as done:
            services.assign(current_user, g.school, post, d, form.user_id.data, publish=False)
        if done:
            flash(_("Saved. Publish the roster to show it to staff."), "success")
            return redirect(_safe_next(url_for("rosters.day", d=d.isoformat())))
    return render_template("rosters/shift_form.html", form=form, shift=None, post=post, day=d,
                           next=request.args.get("next", ""))


# --- the director: import staff ----------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@requires(RosterPerm.MANAGE)
def import_staff():
    form = ImportForm()
    problems, result = [], None
    if form.validate_on_submit():
        problems, done = staff_import.from_upload(
            form.file, lambda name, data: staff_import.import_file(current_user, g.school, name, data))
        if done is not None:
            made, checked = done
            result = {"new": len(made), "unchanged": len(checked.unchanged)}
    return render_template("rosters/import.html", form=form, problems=problems, result=result)
