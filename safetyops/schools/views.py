"""Staff, zones, appointments, school settings and the personal profile."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import get_or_404, requires, scoped, signed_in
from ..auth.roles import ROLE_LABELS, Perm
from ..auth.services import new_one_time_password
from ..converters import int_arg
from ..extensions import db
from ..forms_common import choices
from ..menu import MenuItem
from ..time import school_today
from ..uow import audit_read, personal_data, release, step
from . import calendar as school_calendar
from . import services
from .authority import grantable_roles, may_manage_account
from .forms import AppointmentForm, CalendarEntryForm, ProfileForm, SchoolForm, StaffForm, ZoneForm
from .models import AREA_LABELS, CALENDAR_KIND_LABELS, ZONE_KIND_LABELS, Appointment, CalendarEntry, Zone

bp = Blueprint("schools", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Staff"), "schools.staff_list", Perm.STAFF_VIEW, 80),
    MenuItem(_l("Zones"), "schools.zones", Perm.ZONES_VIEW, 81),
    MenuItem(_l("Responsible persons"), "schools.appointments", Perm.APPOINTMENTS_VIEW, 82),
    MenuItem(_l("School calendar"), "schools.calendar", Perm.SCHOOL_MANAGE, 83),
    MenuItem(_l("School settings"), "schools.school_settings", Perm.SCHOOL_MANAGE, 90),
)


def _region():
    return g.school.country if g.school is not None else "KG"


def _limit_roles(form, user=None, current=None) -> None:
    """Offer only the roles this person may give (and the one the person holds now)."""
    if user is not None and user.id == current_user.id:
        allowed = {current}
    else:
        allowed = set(grantable_roles(current_user, g.school)) | ({current} if current else set())
    form.role.choices = [c for c in form.role.choices if c.value in allowed]


# --- staff ------------------------------------------------------------------------


@bp.get("/staff")
@requires(Perm.STAFF_VIEW)
@personal_data("staff.read_list")
def staff_list():
    search = request.args.get("q", "").strip()[:100]
    rows = db.session.execute(services.staff_query(g.school, search)).all()
    audit_read(detail=f"q={search}" if search else "")
    return render_template("schools/staff_list.html", rows=rows, search=search, ROLE_LABELS=ROLE_LABELS)


@bp.route("/staff/new", methods=["GET", "POST"])
@requires(Perm.STAFF_MANAGE)
def staff_new():
    form = StaffForm()
    form.region = _region()
    _limit_roles(form)
    if request.method == "GET":
        form.locale.data = g.school.default_locale
        form.role.data = "teacher"
    if form.validate_on_submit():
        release()  # the one-time password is hashed with no transaction open
        made = new_one_time_password()
        with step(form) as done:
            user, otp = services.create_staff(
                current_user, g.school, full_name=form.full_name.data, username=form.username.data,
                phone=form.phone.e164, role=form.role.data, locale=form.locale.data, otp=made)
        if done:
            return render_template("schools/one_time_password.html", user=user, otp=otp, created=True)
    return render_template("schools/staff_form.html", form=form, user=None)


def _load_member(user_id):
    found = services.staff_member(g.school, user_id)
    if found is None:
        abort(404)
    return found


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@requires(Perm.STAFF_MANAGE)
@personal_data("staff.read")
def staff_edit(user_id):
    user, membership = _load_member(user_id)
    form = StaffForm(obj=user)
    form.region = _region()
    _limit_roles(form, user, membership.role)
    if request.method == "GET":
        form.role.data = membership.role.value
    audit_read(user)
    if form.validate_on_submit():
        with step(form) as done:
            services.update_staff(current_user, g.school, user, membership, full_name=form.full_name.data,
                                  username=form.username.data, phone=form.phone.e164, role=form.role.data,
                                  locale=form.locale.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("schools.staff_list"))
    return render_template("schools/staff_form.html", form=form, user=user,
                           may_manage=may_manage_account(current_user, user))


@bp.post("/staff/<int:user_id>/active")
@requires(Perm.STAFF_MANAGE)
def staff_set_active(user_id):
    user, _membership = _load_member(user_id)
    enable = request.form.get("enable") == "1"
    with step() as done:
        services.set_enabled(current_user, g.school, user, enable)
    if done:
        flash(_("Account activated.") if enable else _("Account deactivated; every session of it has ended."),
              "success")
    return redirect(url_for("schools.staff_edit", user_id=user.id))


@bp.post("/staff/<int:user_id>/password")
@requires(Perm.STAFF_MANAGE)
def staff_reset_password(user_id):
    release()  # the one-time password is hashed with no transaction open
    made = new_one_time_password()
    user, _membership = _load_member(user_id)
    with step() as done:
        otp = services.reset_staff_password(current_user, g.school, user, made)
    if not done:
        return redirect(url_for("schools.staff_edit", user_id=user.id))
    # Shown once, in this response only: never put in the session cookie or a URL.
    return render_template("schools/one_time_password.html", user=user, otp=otp, created=False)


# --- zones ---------------------------------------------------------------------------


@bp.get("/zones")
@requires(Perm.ZONES_VIEW)
def zones():
    rows = db.session.scalars(scoped(Zone).order_by(Zone.is_active.desc(), Zone.building, Zone.floor, Zone.name))
    return render_template("schools/zones.html", zones=list(rows), KIND_LABELS=ZONE_KIND_LABELS)


@bp.route("/zones/new", methods=["GET", "POST"], defaults={"zone_id": None})
@bp.route("/zones/<int:zone_id>", methods=["GET", "POST"])
@requires(Perm.ZONES_MANAGE)
def zone_edit(zone_id):
    zone = get_or_404(Zone, zone_id) if zone_id else None
    form = ZoneForm(obj=zone)
    if form.validate_on_submit():
        with step(form) as done:
            services.save_zone(current_user, g.school, zone, **{f.name: f.data for f in form if f.name != "csrf_token"})
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("schools.zones"))
    return render_template("schools/zone_form.html", form=form, zone=zone)


# --- appointments ------------------------------------------------------------------------


@bp.get("/appointments")
@requires(Perm.APPOINTMENTS_VIEW)
@personal_data("appointment.read_list")
def appointments():
    rows = db.session.scalars(scoped(Appointment).order_by(Appointment.ends_on.is_not(None), Appointment.area,
                                                           Appointment.starts_on.desc()))
    return render_template("schools/appointments.html", appointments=list(rows), AREA_LABELS=AREA_LABELS)


@bp.route("/appointments/new", methods=["GET", "POST"], defaults={"appt_id": None})
@bp.route("/appointments/<int:appt_id>", methods=["GET", "POST"])
@requires(Perm.APPOINTMENTS_MANAGE)
def appointment_edit(appt_id):
    appt = get_or_404(Appointment, appt_id) if appt_id else None
    form = AppointmentForm(obj=appt)
    staff = db.session.execute(services.staff_query(g.school)).all()
    form.user_id.choices = choices((u.id, u.full_name) for u, _role in staff if u.is_enabled)
    if form.validate_on_submit():
        with step(form) as done:
            services.save_appointment(current_user, g.school, appt,
                                      **{f.name: f.data for f in form if f.name != "csrf_token"})
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("schools.appointments"))
    return render_template("schools/appointment_form.html", form=form, appt=appt)


# --- the school calendar ------------------------------------------------------------------------


def _calendar_year() -> tuple[int, dt.date]:
    """The school year asked for (`?year=2026`: from 1 September 2026), else the current one."""
    current = school_calendar.school_year_start(school_today(g.school)).year
    year = int_arg("year", current, lo=current - 5, hi=current + 5)
    return year, dt.date(year, 9, 1)


def _calendar_page(form, year, start, status=200):
    entries = school_calendar.entries_of(g.school, start)
    lang = str(get_locale() or g.school.default_locale)[:2]
    national = [(d, name) for y in (start.year, start.year + 1)
                for d, name in school_calendar.national_holidays(g.school.country, y, lang)
                if start <= d <= start.replace(year=start.year + 1, month=8, day=31)]
    cal = school_calendar.calendar_for(g.school)
    worked = {d for d, _n in national if cal.is_school_day(d, 0b1111111)}
    return render_template("schools/calendar.html", form=form, entries=entries, national=national, worked=worked,
                           year=year, start=start, KIND_LABELS=CALENDAR_KIND_LABELS,
                           has_terms=bool(cal.terms(start))), status


@bp.get("/calendar")
@requires(Perm.HOME)
def calendar():
    year, start = _calendar_year()
    return _calendar_page(CalendarEntryForm(formdata=None), year, start)


@bp.post("/calendar")
@requires(Perm.SCHOOL_MANAGE)
def calendar_add():
    year, start = _calendar_year()
    form = CalendarEntryForm()
    if form.validate_on_submit():
        with step(form) as done:
            school_calendar.add_entry(current_user, g.school, kind=form.kind.data, name=form.name.data,
                                      first_day=form.first_day.data, last_day=form.last_day.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("schools.calendar", year=year))
    return _calendar_page(form, year, start, 422)


@bp.post("/calendar/usual-terms")
@requires(Perm.SCHOOL_MANAGE)
def calendar_usual_terms():
    year, start = _calendar_year()
    with step() as done:
        school_calendar.add_usual_terms(current_user, g.school, start)
    if done:
        flash(_("The usual terms are written in; correct their dates to this year's order."), "success")
    return redirect(url_for("schools.calendar", year=year))


@bp.post("/calendar/<int:calendar_entry_id>/delete")
@requires(Perm.SCHOOL_MANAGE)
def calendar_delete(calendar_entry_id):
    entry = get_or_404(CalendarEntry, calendar_entry_id)
    year = school_calendar.school_year_start(entry.first_day).year
    with step() as done:
        school_calendar.delete_entry(current_user, g.school, entry)
    if done:
        flash(_("Deleted."), "success")
    return redirect(url_for("schools.calendar", year=year))


# --- the school itself and the profile -------------------------------------------------------


@bp.route("/school/settings", methods=["GET", "POST"])
@requires(Perm.SCHOOL_MANAGE)
def school_settings():
    form = SchoolForm(obj=g.school)
    if form.validate_on_submit():
        services.update_school(current_user, g.school, **{f.name: f.data for f in form if f.name != "csrf_token"})
        flash(_("Saved."), "success")
        return redirect(url_for("dashboard.home"))
    return render_template("schools/school_form.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    form = ProfileForm(obj=current_user)
    form.region = _region()
    if form.validate_on_submit():
        with step(form) as done:
            services.update_profile(current_user, phone=form.phone.e164, locale=form.locale.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("schools.profile"))
    places = [(p.school, ROLE_LABELS[p.role]) for p in getattr(g, "places", [])]
    return render_template("schools/profile.html", form=form, places=places)


def count_staff(school) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(services.staff_query(school).subquery()))
