"""Gate pages: the guard's phone (entries, on site now, closing), the director's report, journal and
watchlist, the inspector's counts, the home page's cards.

The gate blueprint `bp` is in `blueprint.py`; the shared gate phone's pages (device cookie, shifts, lock,
PIN) are in `views_phone.py`, the night rounds, checkpoints and settings in `views_rounds.py`."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import can, get_or_404, requires, scoped
from ..audit.services import record
from ..auth.roles import Role, has_perm
from ..converters import date_arg, int_arg
from ..dashboard.cards import Card
from ..extensions import db
from ..menu import MenuItem
from ..offline import made_at
from ..paging import Page, page_arg
from ..time import school_today
from ..uow import audit_read, personal_data, step
from . import daily, services, shifts
from . import views_phone as _phone_routes  # noqa: F401 - registers its routes on bp
from . import views_rounds as _rounds_routes  # noqa: F401 - registers its routes on bp
from .blueprint import _now, _render, bp
from .forms import EntryForm, ScanForm, SignOutForm, WatchForm, host_choices
from .models import WATCH_REASON_LABELS, EntryKind, GateEntry, GatePhoto, WatchlistEntry
from .permissions import ENTRY_READ, GatePerm
from .rounds import active_checkpoints, current_night, night_rounds
from .settings import day_bounds, local_now, settings_for

#: Guards read entries of the last day (a night shift crosses midnight); report readers any day.
GUARD_WINDOW = dt.timedelta(hours=24)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Gate"), "gate.index", GatePerm.LOG, 20),
    MenuItem(_l("Gate report"), "gate.report", GatePerm.REPORT, 60),
    MenuItem(_l("Watchlist"), "gate.watchlist", GatePerm.WATCHLIST_VIEW, 61),
    MenuItem(_l("Gate counts"), "gate.counts", GatePerm.COUNTS, 62),
)


def _form_region(form):
    school = getattr(g, "school", None)
    form.region = school.country if school is not None else "KG"
    return form



# --- the guard's home: new entry, on site now ----------------------------------------------------------


def offline_pages(user, school, role, today) -> list[str]:
    """The gate, its new-entry form, the night rounds and each checkpoint's page (a QR label's link)."""
    if not has_perm(role, GatePerm.LOG):
        return []
    return [url_for("gate.index"), url_for("gate.new"), url_for("gate.rounds"),
            *(url_for("gate.checkpoint_scan", cp_code=cp.code) for cp in active_checkpoints(school))]


@bp.get("/")
@requires(GatePerm.LOG)
@personal_data("gate.read_on_site")
def index():
    page = page_arg()
    on_site = Page(page, services.on_site_now(g.school, offset=page.offset, limit=page.fetch))
    on_site_total = services.count_on_site(g.school)
    audit_read(detail=f"n={on_site_total} page={page.number}")
    settings = settings_for(g.school)
    night = current_night(g.school)
    slots = night_rounds(g.school, night)
    now = _now()
    current = next((s for s in slots if s.start <= now < s.window_end), None)
    local = local_now(g.school)
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
                   settings=settings_for(g.school))


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
        since, until = day_bounds(g.school, day)
        if q:
            since, until = None, None  # the director searches every day kept
    else:
        until = None
        since = _now() - GUARD_WINDOW
    rows = Page(page, services.search(g.school, q, since=since, until=until, offset=page.offset, limit=page.fetch)
                if q else daily.entries_between(g.school, since, until or _now() + dt.timedelta(days=1),
                                                   offset=page.offset, limit=page.fetch))
    audit_read(detail=f"day={day} q={q[:40]} page={page.number} n={len(rows)}")
    return _render("gate/entries.html", rows=rows, q=q, day=day, full=full)


@bp.get("/report")
@requires(GatePerm.REPORT)
@personal_data("gate.read_report")
def report():
    day = _day_arg()
    page = page_arg()
    rep = daily.daily_report(g.school, day, offset=page.offset, limit=page.fetch)
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
    rows = daily.day_entries(g.school, day)
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
    return _render("gate/counts.html", c=daily.day_counts(g.school, day), day=day,
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

# --- the "Today" page ---------------------------------------------------------------------------------------


def home_cards(user, school, role, today):
    cards = []
    if has_perm(role, GatePerm.LOG):
        n = services.count_on_site(school)
        settings = settings_for(school)
        local = local_now(school)
        late = local.time() >= settings.closing_time and n > 0
        cards.append(Card(title=_("Closing: confirm who is still inside") if late else _("On site now"),
                          url=url_for("gate.closing" if late else "gate.index"), count=n,
                          urgency=100 if late else 40, tone="warning" if late else ""))
        now = _now()
        night = current_night(school, now)
        for slot in night_rounds(school, night, now):
            if slot.start <= now < slot.window_end:
                left = sum(1 for _cp, scan, _s in slot.results if scan is None)
                if left:
                    cards.append(Card(title=_("Night round %(time)s: checkpoints left",
                                              time=local_now(school, slot.start).strftime("%H:%M")),
                                      url=url_for("gate.rounds"), count=left, urgency=90, tone="danger"))
    if has_perm(role, GatePerm.REPORT):
        start, end = day_bounds(school, today)
        hits = db.session.scalar(sa.select(sa.func.count()).select_from(GateEntry).where(
            GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end,
            GateEntry.watchlist_id.is_not(None))) or 0
        if hits:
            cards.append(Card(title=_("Watchlist matches at the gate today"), count=hits, urgency=95, tone="danger",
                              url=url_for("gate.report", day=today.isoformat())))
    return cards
