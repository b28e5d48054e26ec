"""Gate pages: the guard's phone (entries, on site now, closing, rounds, lock), the director's
report, journal and watchlist, the inspector's counts."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user, user_logged_in

from ..access import can, get_or_404, requires, scoped, signed_in
from ..audit.services import record
from ..auth.roles import Role, grant, has_perm
from ..converters import date_arg, int_arg
from ..dashboard.cards import Card, provider
from ..errors_service import ServiceError
from ..extensions import db
from ..forms_common import choices
from ..menu import MenuItem
from ..menu import add as add_menu
from ..offline import made_at, pages_provider
from ..paging import Page, page_arg
from ..schools.models import Zone
from ..security import hash_password, verify_password
from ..time import school_today
from ..uow import audit_read, personal_data, release, step
from . import services, shifts
from .forms import (
    CheckpointForm,
    CodeForm,
    EntryForm,
    PinForm,
    ScanForm,
    SettingsForm,
    SignOutForm,
    UnlockForm,
    WatchForm,
    host_choices,
)
from .models import (
    DOC_TYPE_LABELS,
    ENTRY_KIND_LABELS,
    WATCH_REASON_LABELS,
    Checkpoint,
    EntryKind,
    GateEntry,
    GatePhoto,
    WatchlistEntry,
)
from .permissions import MANAGERS, GatePerm

bp = Blueprint("gate", __name__, url_prefix="/gate")

#: Read single entries and photos: the guards (today's gate) and those who read the report.
ENTRY_READ = "gate.entry.read"
grant({ENTRY_READ: {Role.GUARD, Role.DEPUTY, *MANAGERS}})
#: Guards read entries of the last day (a night shift crosses midnight); report readers any day.
GUARD_WINDOW = dt.timedelta(hours=24)
DEVICE_COOKIE = "gate_device"

add_menu(MenuItem(_l("Gate"), "gate.index", GatePerm.LOG, 20))
add_menu(MenuItem(_l("Gate report"), "gate.report", GatePerm.REPORT, 60))
add_menu(MenuItem(_l("Watchlist"), "gate.watchlist", GatePerm.WATCHLIST_VIEW, 61))
add_menu(MenuItem(_l("Gate counts"), "gate.counts", GatePerm.COUNTS, 62))

services.register_texts()

LABELS = {"KIND_LABELS": ENTRY_KIND_LABELS, "DOC_LABELS": DOC_TYPE_LABELS, "REASON_LABELS": WATCH_REASON_LABELS}


def stayed(now, since) -> str:
    """How long someone has been inside: "25 min" or "3 h 05 min"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return _("%(m)s min", m=minutes)
    return _("%(h)s h %(m)s min", h=minutes // 60, m=f"{minutes % 60:02d}")


def _render(template, **ctx):
    return render_template(template, **LABELS, stayed=stayed, **ctx)


def _now():
    from ..time import now_utc

    return now_utc()


def _form_region(form):
    school = getattr(g, "school", None)
    form.region = school.country if school is not None else "KG"
    return form


# --- the shared gate phone: device cookie, shifts, lock -------------------------------------------------

_LOCK_FREE = {"gate.locked", "gate.unlock", "gate.switch_guard", "static", "auth.login", "auth.logout",
              "auth.set_language", "dashboard.favicon", "dashboard.manifest", "dashboard.healthz",
              # the alarm button works on the locked gate phone (templates/drills/_alarm_button.html)
              "drills.alarm", "drills.alarm_raise", "drills.alarm_status", "drills.alarm_cancel",
              # reunification after the all clear: the guard hands children over from the gate phone
              "drills.reunion_screen", "drills.reunion_class", "drills.handover"}


@bp.before_app_request
def _gate_phone_guard():
    # The lock lives on the server (the shift's row): a replayed older cookie without "gate_locked"
    # is locked all the same.
    g.gate_locked = bool(session.get("gate_locked"))
    if "gate_shift" in session and current_user.is_authenticated:
        state = services.shift_state(session["gate_shift"])
        if state == "ended":
            logout_user()
            session.clear()
            flash(_("Another guard signed in on this phone: your shift here has ended."), "info")
            return redirect(url_for("auth.login"))
        g.gate_locked = g.gate_locked or state == "locked"
    if g.gate_locked and current_user.is_authenticated and request.endpoint not in _LOCK_FREE:
        if request.method == "GET":
            return redirect(url_for("gate.locked"))
        abort(403)
    return None


@bp.context_processor
def _lock_context():
    if getattr(g, "school", None) is None or g.role is not Role.GUARD:  # the shared gate phone is the guards'
        return {"lock_minutes": 0}
    return {"lock_minutes": services.settings_for(g.school).lock_minutes}


def _device_id() -> str | None:
    """This phone's id from its cookie; None when there is none or it is not one we made (the cookie is the
    phone holder's to change: a long or strange value must not reach the database)."""
    value = request.cookies.get(DEVICE_COOKIE, "") if request else ""
    return value if _DEVICE_ID.fullmatch(value) else None


_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


@bp.after_request
def _device_cookie(response):
    if _device_id() is None:
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=5 * 365 * 86400, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


def _on_login(sender, user, **extra):
    """A guard signs in on a gate phone: their shift starts and any other guard's shift on it ends."""
    device = _device_id()
    if not device:
        return
    membership = next((m for m in user.memberships if m.role is Role.GUARD), None)
    if membership is None:
        return
    shift = services.start_shift(membership.school, user, device)
    session["gate_shift"] = shift.id


user_logged_in.connect(_on_login)


@bp.post("/lock")
@requires(GatePerm.LOG)
def lock():
    user = current_user._get_current_object()
    shift_id = session.get("gate_shift")
    if not shift_id:
        # No shift holds this session's lock on the server (signed in before the phone had its device
        # cookie, or not a guard): every earlier copy of the session cookie ends here, and this session
        # goes on under a new token (for a guard, with a shift on this phone that holds the lock).
        user.end_all_sessions()
        record(user, g.school, "gate.lock.new_session", user)
        login_user(user, remember=False)
        shift_id = session.get("gate_shift")
    if shift_id:
        services.lock_shift(user, g.school, shift_id)
    session["gate_locked"] = True
    return redirect(url_for("gate.locked"))


@bp.get("/locked")
@signed_in
def locked():
    if not g.get("gate_locked"):
        return redirect(url_for("gate.index") if can(GatePerm.LOG) else url_for("dashboard.home"))
    has_pin = g.school is not None and services.has_pin(current_user, g.school)
    form = UnlockForm()
    if not has_pin:
        form.secret.label.text = _("Password")
    return _render("gate/locked.html", form=form, has_pin=has_pin, company_guards=_company_guards())


def _company_guards() -> list:
    """The security company's guards (contracts in force in the register) other than the one signed in: the
    next shift picks their name instead of typing it."""
    if g.school is None:
        return []
    return [(u, note) for u, note in shifts.candidates(g.school, school_today(g.school)) if u.id != current_user.id]


@bp.post("/unlock")
@signed_in
def unlock():
    form = UnlockForm()
    if g.school is None:
        abort(404)
    has_pin = services.has_pin(current_user, g.school)
    if form.validate_on_submit():
        stored = services.unlock_hash(current_user, g.school)
        release()  # the PIN is checked with no transaction open
        ok = verify_password(stored, form.secret.data or "")
        result = services.finish_unlock(current_user, g.school, ok)
        if result:
            services.unlock_shift(session.get("gate_shift"))
        if result:
            session.pop("gate_locked", None)
            return redirect(url_for("gate.index"))
        if result is None:
            services.end_shift(session.get("gate_shift"))
            logout_user()
            session.clear()
            flash(_("Too many wrong PINs. Sign in with your password."), "error")
            return redirect(url_for("auth.login"))
        form.secret.errors.append(_("Wrong PIN.") if has_pin else _("Wrong password."))
    if not has_pin:
        form.secret.label.text = _("Password")
    return _render("gate/locked.html", form=form, has_pin=has_pin, company_guards=_company_guards()), 200


@bp.post("/switch")
@signed_in
def switch_guard():
    """Another guard takes the phone: this session ends here (not on the guard's other devices).  A guard of
    the security company picked by name gets the sign-in page with their account filled in."""
    picked = request.form.get("guard_id", type=int)
    login = next((u.username for u, _note in _company_guards() if u.id == picked), None) if picked else None
    services.end_shift(session.get("gate_shift"))
    record(current_user, g.school, "gate.shift.switch", current_user, detail=f"to={picked}" if login else "")
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale  # the phone keeps the language it was used in
    return redirect(url_for("auth.login", next=url_for("gate.index"), login=login))


@bp.route("/pin", methods=["GET", "POST"])
@requires(GatePerm.LOG)
def pin():
    form = PinForm()
    if form.validate_on_submit():
        release()  # the PIN is hashed with no transaction open
        pin_hash = hash_password((form.pin.data or "").strip())
        with step(form) as done:
            services.set_pin(current_user, g.school, form.pin.data, pin_hash=pin_hash)
        if done:
            flash(_("PIN saved. It unlocks the gate phone for you."), "success")
            return redirect(url_for("gate.index"))
    return _render("gate/pin.html", form=form)


# --- the guard's home: new entry, on site now ----------------------------------------------------------


@pages_provider
def _offline_pages(user, school, role, today) -> list[str]:
    """The gate, its new-entry form, the night rounds and each checkpoint's page (a QR label's link)."""
    if not has_perm(role, GatePerm.LOG):
        return []
    return [url_for("gate.index"), url_for("gate.new"), url_for("gate.rounds"),
            *(url_for("gate.checkpoint_scan", cp_code=cp.code) for cp in services.active_checkpoints(school))]


@bp.get("/")
@requires(GatePerm.LOG)
@personal_data("gate.read_on_site")
def index():
    page = page_arg()
    on_site = Page(page, services.on_site_now(g.school, offset=page.offset, limit=page.fetch))
    on_site_total = services.count_on_site(g.school)
    audit_read(detail=f"n={on_site_total} page={page.number}")
    settings = services.settings_for(g.school)
    night = services.current_night(g.school)
    slots = services.night_rounds(g.school, night)
    now = _now()
    current = next((s for s in slots if s.start <= now < s.window_end), None)
    local = services.local_now(g.school)
    after_closing = local.time() >= settings.closing_time
    left = sum(1 for _cp, scan, _s in current.results if scan is None) if current else 0
    on_shift = (next((note for u, note in shifts.candidates(g.school, local.date()) if u.id == current_user.id),
                     None) if g.role is Role.GUARD else None)
    return _render("gate/index.html", on_site=on_site, on_site_total=on_site_total, now=now, settings=settings,
                   current_round=current if left else None, round_left=left, after_closing=after_closing,
                   on_shift=on_shift)


def _host_choices(form):
    form.host_id.choices = host_choices(g.school, _("— nobody —"))


@bp.route("/new", methods=["GET", "POST"])
@requires(GatePerm.LOG)
def new():
    form = _form_region(EntryForm())
    _host_choices(form)
    watch = None
    if request.method == "GET":
        form.client_id.data = secrets.token_hex(16)
        source_id = int_arg("from")
        if source_id:
            src = get_or_404(GateEntry, source_id)
            if src not in services.recent_visitors(g.school, src.name, limit=50):
                abort(404)  # only a recent visitor's entry is offered for a repeat visit
            record(current_user, g.school, "gate.entry.read", src, detail="repeat")
            form.kind.data = src.kind.value
            form.name.data, form.doc_type.data, form.doc_last4.data = src.name, src.doc_type.value, src.doc_last4
            form.purpose.data, form.vehicle_plate.data = src.purpose, src.vehicle_plate
            form.host_id.data = src.host_id or 0
            form.phone.data = src.phone or ""
        elif request.args.get("kind") in {k.value for k in EntryKind}:
            form.kind.data = request.args["kind"]
    refused = False
    if form.validate_on_submit():
        with step(form) as done:
            entry, created = services.log_entry(
                current_user, g.school, client_id=form.client_id.data, kind=form.kind.data, name=form.name.data,
                doc_type=form.doc_type.data, doc_last4=form.doc_last4.data, phone=form.phone.e164,
                purpose=form.purpose.data, host_id=form.host_id.data or None, vehicle_plate=form.vehicle_plate.data,
                in_time=form.in_time.data, has_photo_consent=form.has_photo_consent.data,
                photo=form.photo.data or None, now=made_at())
        refused = not done
        if done:
            if entry.watchlist_id:
                return redirect(url_for("gate.entry", entry_id=entry.id))
            if created:
                flash(_("Logged: %(name)s.", name=entry.name), "success")
            else:
                flash(_("This entry was already saved."), "info")
            return redirect(url_for("gate.index"))
    recent = services.recent_visitors(g.school, limit=6) if request.method == "GET" else []
    on_site_keys = {e.name_key for e in services.on_site_now(g.school)}
    recent = [e for e in recent if e.name_key not in on_site_keys]
    if recent:
        record(current_user, g.school, "gate.read_recent", detail=f"n={len(recent)}")
    return _render("gate/new.html", form=form, recent=recent, watch=watch), 422 if refused else 200


@bp.get("/suggest")
@requires(GatePerm.LOG)
@personal_data("gate.suggest")
def suggest():
    """Recent visitors whose name starts like what the guard typed, and whether the name is on the watchlist."""
    q = request.args.get("q", "").strip()[:100]
    items = services.recent_visitors(g.school, q, limit=8) if len(q) >= 2 else []
    watch = services.match_watchlist(g.school, q) if len(q) >= 3 else None
    audit_read(detail=f"q={q[:40]} n={len(items)}")
    return jsonify({
        "items": [{"id": e.id, "name": e.name, "kind": e.kind.value, "doc_type": e.doc_type.value,
                   "doc_last4": e.doc_last4 or "", "purpose": e.purpose, "host_id": e.host_id or 0,
                   "vehicle_plate": e.vehicle_plate, "phone": e.phone or ""} for e in items],
        "watch": None if watch is None else {
            "name": watch.name, "reason": str(WATCH_REASON_LABELS[watch.reason]), "note": watch.note},
    })


def _load_entry(entry_id) -> GateEntry:
    entry = get_or_404(GateEntry, entry_id)
    if not can(GatePerm.REPORT) and entry.out_dt is not None and _now() - entry.in_dt > GUARD_WINDOW:
        abort(404)  # a guard reads today's gate, not the archive
    return entry


@bp.get("/entries/<int:entry_id>")
@requires(ENTRY_READ)
@personal_data("gate.entry.read")
def entry(entry_id):
    e = _load_entry(entry_id)
    audit_read(e)
    return _render("gate/entry.html", e=e, form=_form_region(SignOutForm()))


def _back(default_endpoint="gate.index"):
    target = request.form.get("next", "")
    if target in {"closing", "index"}:
        return redirect(url_for(f"gate.{target}"))
    return redirect(url_for(default_endpoint))


@bp.post("/entries/<int:entry_id>/out")
@requires(GatePerm.LOG)
def sign_out(entry_id):
    e = _load_entry(entry_id)
    form = SignOutForm()
    if not form.validate_on_submit():
        flash(_("Check the time out."), "error")
        return redirect(url_for("gate.entry", entry_id=e.id))
    with step() as done:
        changed = services.sign_out(current_user, g.school, e, out_time=form.out_time.data, now=made_at())
    if not done:
        return redirect(url_for("gate.entry", entry_id=e.id))
    flash(_("Signed out: %(name)s.", name=e.name) if changed else _("Already signed out."),
          "success" if changed else "info")
    return _back()


@bp.post("/entries/<int:entry_id>/refuse")
@requires(GatePerm.LOG)
def refuse(entry_id):
    e = _load_entry(entry_id)
    if not ScanForm().validate_on_submit():
        abort(400)
    changed = services.sign_out(current_user, g.school, e, refused=True)
    flash(_("Recorded: not let in.") if changed else _("Already signed out."), "info")
    return redirect(url_for("gate.index"))


@bp.post("/entries/<int:entry_id>/stay")
@requires(GatePerm.LOG)
def stay(entry_id):
    e = _load_entry(entry_id)
    if not ScanForm().validate_on_submit():
        abort(400)
    services.confirm_stay(current_user, g.school, e)
    return _back("gate.closing")


@bp.get("/closing")
@requires(GatePerm.LOG)
@personal_data("gate.read_on_site")
def closing():
    on_site = services.on_site_now(g.school)
    audit_read(detail=f"closing n={len(on_site)}")
    return _render("gate/closing.html", on_site=on_site, now=_now(), form=ScanForm(),
                   settings=services.settings_for(g.school))


@bp.get("/photos/<int:gate_photo_id>")
@requires(ENTRY_READ)
@personal_data("gate.photo.read")
def photo(gate_photo_id):
    p = get_or_404(GatePhoto, gate_photo_id)
    audit_read(p)
    resp = Response(p.data, mimetype=p.content_type)
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- lists, search, report, journal, counts ------------------------------------------------------------


def _day_arg():
    raw = request.args.get("day", "")
    day = date_arg("day")  # a date no school means (year 1, 9999) → 400
    if day is None and raw:
        flash(_("Unknown date; showing today."), "error")
    return day or school_today(g.school)


@bp.get("/entries")
@requires(ENTRY_READ)
@personal_data("gate.read_list")
def entries():
    page = page_arg()
    q = request.args.get("q", "").strip()[:100]
    full = can(GatePerm.REPORT)
    day = _day_arg() if full else school_today(g.school)
    if full:
        since, until = services.day_bounds(g.school, day)
        if q:
            since, until = None, None  # the director searches every day kept
    else:
        until = None
        since = _now() - GUARD_WINDOW
    rows = Page(page, services.search(g.school, q, since=since, until=until, offset=page.offset, limit=page.fetch)
                if q else services.entries_between(g.school, since, until or _now() + dt.timedelta(days=1),
                                                   offset=page.offset, limit=page.fetch))
    audit_read(detail=f"day={day} q={q[:40]} page={page.number} n={len(rows)}")
    return _render("gate/entries.html", rows=rows, q=q, day=day, full=full)


@bp.get("/report")
@requires(GatePerm.REPORT)
@personal_data("gate.read_report")
def report():
    day = _day_arg()
    page = page_arg()
    rep = services.daily_report(g.school, day, offset=page.offset, limit=page.fetch)
    audit_read(detail=f"day={day} page={page.number}")
    return _render("gate/report.html", rep=rep, journal=Page(page, rep.entries), day=day,
                   prev=day - dt.timedelta(days=1), next=day + dt.timedelta(days=1), now=_now())


@bp.get("/report/journal.pdf")
@requires(GatePerm.REPORT)
@personal_data("gate.journal_pdf")
def journal_pdf():
    from .journal import FontMissing
    from .journal import journal_pdf as build

    day = _day_arg()
    rows = services.day_entries(g.school, day)
    try:
        data = build(g.school, day, rows)
    except FontMissing as err:
        current_app.logger.error("gate journal: %s", err)
        flash(_("The PDF font is not installed on the server (DejaVuSans). Ask the administrator."), "error")
        return redirect(url_for("gate.report", day=day.isoformat()))
    audit_read(detail=f"day={day} n={len(rows)}")
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="gate-journal-{day.isoformat()}.pdf"'
    return resp


@bp.get("/counts")
@requires(GatePerm.COUNTS)
def counts():
    day = _day_arg()
    return _render("gate/counts.html", c=services.day_counts(g.school, day), day=day,
                   prev=day - dt.timedelta(days=1), next=day + dt.timedelta(days=1))


# --- watchlist ------------------------------------------------------------------------------------------


@bp.get("/watchlist")
@requires(GatePerm.WATCHLIST_VIEW)
@personal_data("gate.watch.read_list")
def watchlist():
    rows = list(db.session.scalars(scoped(WatchlistEntry).where(WatchlistEntry.is_active.is_(True))
                                   .order_by(WatchlistEntry.name)))
    audit_read(detail=f"n={len(rows)}")
    return _render("gate/watchlist.html", rows=rows, form=ScanForm())


@bp.route("/watchlist/new", methods=["GET", "POST"])
@requires(GatePerm.MANAGE)
def watch_new():
    form = WatchForm()
    if form.validate_on_submit():
        with step(form) as done:
            services.add_watch(current_user, g.school, name=form.name.data, reason=form.reason.data,
                               doc_last4=form.doc_last4.data, note=form.note.data, photo=form.photo.data or None)
        if not done:
            return _render("gate/watch_form.html", form=form), 422
        flash(_("Added to the watchlist."), "success")
        return redirect(url_for("gate.watchlist"))
    return _render("gate/watch_form.html", form=form)


@bp.post("/watchlist/<int:watch_id>/remove")
@requires(GatePerm.MANAGE)
def watch_remove(watch_id):
    w = get_or_404(WatchlistEntry, watch_id)
    if not ScanForm().validate_on_submit():
        abort(400)
    services.remove_watch(current_user, g.school, w)
    flash(_("Removed from the watchlist."), "success")
    return redirect(url_for("gate.watchlist"))


# --- night rounds -----------------------------------------------------------------------------------------


@bp.get("/rounds")
@requires(GatePerm.LOG)
def rounds():
    night = services.current_night(g.school)
    form = CodeForm()
    form.client_id.data = secrets.token_hex(16)
    return _render("gate/rounds.html", slots=services.night_rounds(g.school, night), night=night, form=form,
                   now=_now())


@bp.post("/rounds/scan")
@requires(GatePerm.LOG)
def scan_code():
    form = CodeForm()
    if form.validate_on_submit():
        with step(form) as done:
            cp = services.checkpoint_by_code(g.school, form.code.data)
            _scan, created = services.record_scan(current_user, g.school, cp, method="code",
                                                  client_id=form.client_id.data, now=made_at())
        if done:
            flash(_("Checkpoint %(name)s: done.", name=cp.name) if created else _("Already recorded."), "success")
            return redirect(url_for("gate.rounds"))
    night = services.current_night(g.school)
    return _render("gate/rounds.html", slots=services.night_rounds(g.school, night), night=night, form=form,
                   now=_now()), 422


@bp.route("/c/<cp_code>", methods=["GET", "POST"])
@requires(GatePerm.LOG)
def checkpoint_scan(cp_code):
    """The link in a checkpoint's QR label: opened by any camera app while signed in."""
    try:
        cp = services.checkpoint_by_code(g.school, cp_code)
    except ServiceError as err:
        return _render("gate/scan_unknown.html", message=err.message), 404
    form = ScanForm()
    if request.method == "GET":
        form.client_id.data = secrets.token_hex(16)
    elif form.validate_on_submit():
        _scan, created = services.record_scan(current_user, g.school, cp, method="qr", client_id=form.client_id.data,
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
            services.add_checkpoint(current_user, g.school, name=form.name.data, zone_id=form.zone_id.data or None)
        if done:
            flash(_("Checkpoint added."), "success")
            return redirect(url_for("gate.checkpoints"))
    rows = services.active_checkpoints(g.school)
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
    return _render("gate/labels.html", rows=services.active_checkpoints(g.school))


@bp.route("/settings", methods=["GET", "POST"])
@requires(GatePerm.MANAGE)
def settings():
    row = services.settings_for(g.school, create=True)
    form = SettingsForm(obj=row)
    if form.validate_on_submit():
        form.populate_obj(row)
        row.round_times = ", ".join(t.strftime("%H:%M") for t in services.parse_round_times(form.round_times.data))
        record(current_user, g.school, "gate.settings.update", row)
        flash(_("Saved."), "success")
        return redirect(url_for("gate.index"))
    return _render("gate/settings.html", form=form)


# --- the "Today" page ---------------------------------------------------------------------------------------


@provider
def _cards(user, school, role, today):
    from ..auth.roles import has_perm

    cards = []
    if has_perm(role, GatePerm.LOG):
        n = services.count_on_site(school)
        settings = services.settings_for(school)
        local = services.local_now(school)
        late = local.time() >= settings.closing_time and n > 0
        cards.append(Card(title=_("Closing: confirm who is still inside") if late else _("On site now"),
                          url=url_for("gate.closing" if late else "gate.index"), count=n,
                          urgency=100 if late else 40, tone="warning" if late else ""))
        now = _now()
        night = services.current_night(school, now)
        for slot in services.night_rounds(school, night, now):
            if slot.start <= now < slot.window_end:
                left = sum(1 for _cp, scan, _s in slot.results if scan is None)
                if left:
                    cards.append(Card(title=_("Night round %(time)s: checkpoints left",
                                              time=services.local_now(school, slot.start).strftime("%H:%M")),
                                      url=url_for("gate.rounds"), count=left, urgency=90, tone="danger"))
    if has_perm(role, GatePerm.REPORT):
        start, end = services.day_bounds(school, today)
        hits = db.session.scalar(sa.select(sa.func.count()).select_from(GateEntry).where(
            GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end,
            GateEntry.watchlist_id.is_not(None))) or 0
        if hits:
            cards.append(Card(title=_("Watchlist matches at the gate today"), count=hits, urgency=95, tone="danger",
                              url=url_for("gate.report", day=today.isoformat())))
    return cards


