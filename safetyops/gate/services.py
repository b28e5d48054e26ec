"""Gate log services.  Plain functions: the actor and the school are arguments.

Other areas read `on_site_now(school)` (the drills' evacuation list)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..errors_service import ServiceError
from ..extensions import db
from ..notifications import outbox
from ..rosters.services import on_duty
from ..schools.models import Membership, School
from ..scoping import cross_school
from ..security import hash_password, verify_password
from ..time import local_to_utc, now_utc, zone
from .models import (
    EVENT_KINDS,
    VISIT_KINDS,
    Checkpoint,
    CheckpointScan,
    DocType,
    EntryKind,
    GateEntry,
    GateNameWord,
    GatePhoto,
    GatePin,
    GateSettings,
    GateShift,
    RoundAlertMode,
    WatchlistEntry,
    WatchReason,
)
from .names import name_key, names_match

#: How far back a guard may set the time in (the paper journal is filled in late, not days late).
MAX_BACKDATE = dt.timedelta(hours=12)
#: A phone's clock may run a little ahead.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: A scan belongs to a round until the next round starts, the last one for this long.
LAST_ROUND_WINDOW = dt.timedelta(hours=3)
#: Alerts due while the scheduler was down are still sent this long after (later, they are news no more).
CATCH_UP = dt.timedelta(hours=12)
#: Wrong PINs in a row before the password is needed again.
MAX_PIN_FAILURES = 5
#: The placeholder an anonymised name becomes.
ANONYMISED = "—"

# --- SMS texts (one segment in every language: keep them short) ---------------------------------

SMS_TEXTS = {
    "gate.host": _l("Visitor for you at the gate: %(name)s, %(time)s."),
    "gate.watch": _l("ALERT %(time)s: watchlist person at the gate: %(name)s."),
    "gate.after_closing": _l("Gate %(time)s: %(count)s visitors still inside after closing."),
    "gate.round_missed": _l("Night round %(time)s: %(count)s of %(total)s checkpoints missed."),
    "gate.rounds_summary": _l("Night rounds: %(done)s done, %(late)s late, %(missed)s missed."),
}
#: Longest-likely values, for the one-SMS test (names are cut to 22 characters before sending).
_NAME, _TIME = "Абдыкадырова Нургүл Э.", "23:45"
SMS_SAMPLES = {
    "gate.host": {"name": _NAME, "time": _TIME},
    "gate.watch": {"name": _NAME, "time": _TIME},
    "gate.after_closing": {"time": _TIME, "count": "12"},
    "gate.round_missed": {"time": _TIME, "count": "12", "total": "12"},
    "gate.rounds_summary": {"done": "12", "late": "12", "missed": "12"},
}


def register_texts() -> None:
    """Give the outbox this area's texts (idempotent)."""
    for kind, text in SMS_TEXTS.items():
        outbox.register_text(kind, text, sample=SMS_SAMPLES[kind])


register_texts()  # the notifications area lists every text it knows


def notify(school: School, recipients, kind: str, key: str, params: dict, *, urgent: bool = False) -> list:
    """Queue SMS through the notifications outbox in the current transaction."""
    if not recipients:
        return []
    return outbox.notify(school, recipients, kind, key, params, urgent=urgent)


def _short(text: str, n: int = 22) -> str:
    text = (text or "").strip()
    return text if len(text) <= n else text[: n - 1] + "…"


# --- settings and time -----------------------------------------------------------------------


DEFAULT_SETTINGS = {"closing_time": dt.time(19, 0), "retention_days": 90, "round_times": "22:00, 01:00, 04:00",
                    "round_grace_minutes": 40, "round_alert_mode": RoundAlertMode.AT_ONCE,
                    "morning_time": dt.time(7, 30), "is_host_sms_on": True, "lock_minutes": 3}


def settings_for(school: School, *, create: bool = False) -> GateSettings:
    """The school's gate settings; the defaults (not stored) when it has none, unless `create`."""
    row = db.session.scalar(sa.select(GateSettings).where(GateSettings.school_id == school.id))
    if row is None:
        row = GateSettings(school_id=school.id, **DEFAULT_SETTINGS)
        if create:
            db.session.add(row)
            db.session.flush()
    return row


def local_now(school: School, now: dt.datetime | None = None) -> dt.datetime:
    return (now or now_utc()).astimezone(zone(school.timezone))


def day_bounds(school: School, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC start and end of a local day."""
    return (local_to_utc(day, dt.time(0), school.timezone),
            local_to_utc(day + dt.timedelta(days=1), dt.time(0), school.timezone))


def resolve_time(school: School, at: dt.time | None, now: dt.datetime, field_name: str) -> dt.datetime:
    """A local time of day typed at the gate → the most recent such moment (not in the future)."""
    if at is None:
        return now
    local = local_now(school, now)
    candidate = dt.datetime.combine(local.date(), at, tzinfo=local.tzinfo)
    if candidate > local + CLOCK_SKEW:
        candidate -= dt.timedelta(days=1)
    candidate = candidate.astimezone(dt.UTC)
    if now - candidate > MAX_BACKDATE:
        raise ServiceError(_l("The time can be at most 12 hours ago."), field_name)
    return candidate


def parse_round_times(text: str) -> list[dt.time]:
    times = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            times.append(dt.datetime.strptime(part, "%H:%M").time())
        except ValueError:
            raise ServiceError(_l("Write round times as HH:MM separated by commas, e.g. 22:00, 01:00, 04:00."),
                               "round_times") from None
    # Evening first: times from noon belong to the evening, before noon to the next morning.
    return sorted(set(times), key=lambda t: (t < dt.time(12), t))


# --- people to alert -----------------------------------------------------------------------------


def _members(school: School, roles) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, Membership.role.in_(list(roles)), User.is_enabled.is_(True))
        .order_by(User.id)))


def duty_admins(school: School, day: dt.date) -> list[User]:
    """Today's duty administrator from the roster if there is one, else the deputies, else the director."""
    return on_duty(school, day, post_kind="duty_admin") or _members(school, [Role.DEPUTY]) or \
        _members(school, [Role.DIRECTOR])


def directors(school: School) -> list[User]:
    return _members(school, [Role.DIRECTOR])


# --- entries -------------------------------------------------------------------------------------


def clean_last4(value: str | None) -> str | None:
    raw = "".join((value or "").split()).upper()
    if not raw:
        return None
    if len(raw) > 4:
        raise ServiceError(_l("Type only the last 4 characters of the document number, never the whole number."),
                           "doc_last4")
    if not raw.isalnum():
        raise ServiceError(_l("Letters and digits only."), "doc_last4")
    return raw


def clean_plate(value: str | None) -> str:
    return "".join((value or "").split()).upper()[:20]


def staff_ids(school: School) -> set[int]:
    return set(db.session.scalars(sa.select(Membership.user_id).where(Membership.school_id == school.id)))


def save_photo(school: School, upload) -> GatePhoto | None:
    """Re-encode an uploaded image through the one upload routine (size, pixel count, real format, metadata
    dropped, at most 800 px); None when nothing was sent."""
    from .. import uploads

    if upload is None:
        return None
    data = upload.read() if hasattr(upload, "read") else upload
    if not data:
        return None
    clean = uploads.clean_image(data, field="photo", max_side=800, quality=80)
    photo = GatePhoto(school_id=school.id, content_type=clean.content_type, data=clean.data)
    db.session.add(photo)
    db.session.flush()
    return photo


def match_watchlist(school: School, name: str, doc_last4: str | None = None) -> WatchlistEntry | None:
    key = name_key(name)
    if not key:
        return None
    rows = db.session.scalars(sa.select(WatchlistEntry).where(WatchlistEntry.school_id == school.id,
                                                              WatchlistEntry.is_active.is_(True)))
    for w in rows:
        if names_match(key, w.name_key, doc_last4, w.doc_last4):
            return w
    return None


def by_client_id(school: School, client_id: str) -> GateEntry | None:
    return db.session.scalar(sa.select(GateEntry).where(GateEntry.school_id == school.id,
                                                        GateEntry.client_id == client_id))


def log_entry(actor, school: School, *, client_id: str, kind, name: str, doc_type=DocType.NONE,
              doc_last4: str | None = None, phone: str | None = None, purpose: str = "", host_id: int | None = None,
              vehicle_plate: str = "", in_time: dt.time | None = None, has_photo_consent: bool = False,
              photo=None, now: dt.datetime | None = None) -> tuple[GateEntry, bool]:
    """Log someone at the gate.  Returns (entry, created); the same client_id again returns the first entry."""
    client_id = (client_id or "").strip()[:40] or secrets.token_hex(16)
    existing = by_client_id(school, client_id)
    if existing is not None:
        return existing, False
    now = now or now_utc()
    kind = EntryKind(kind)
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_l("Type the name."), "name")
    if len(name) > 200:
        raise ServiceError(_l("The name is too long."), "name")
    doc_type = DocType(doc_type or DocType.NONE)
    last4 = clean_last4(doc_last4)
    if last4 and doc_type is DocType.NONE:
        doc_type = DocType.OTHER
    plate = clean_plate(vehicle_plate)
    if kind is EntryKind.VEHICLE and not plate:
        raise ServiceError(_l("Type the vehicle's plate."), "vehicle_plate")
    if host_id and host_id not in staff_ids(school):
        raise ServiceError(_l("Choose a person who works at this school."), "host_id")
    in_dt = resolve_time(school, in_time, now, "in_time")
    photo_row = None
    if photo is not None:
        if not has_photo_consent:
            raise ServiceError(_l("A photo is kept only when the person agrees: tick the consent box."), "photo")
        photo_row = save_photo(school, photo)
    watch = match_watchlist(school, name, last4)
    entry = GateEntry(
        school_id=school.id, client_id=client_id, kind=kind, name=name, name_key=name_key(name), doc_type=doc_type,
        doc_last4=last4, phone=phone or None, purpose=(purpose or "").strip()[:200], host_id=host_id or None,
        vehicle_plate=plate, in_dt=in_dt, guard_id=getattr(actor, "id", None),
        has_photo_consent=bool(has_photo_consent), photo_id=photo_row.id if photo_row else None,
        watchlist_id=watch.id if watch else None,
        out_dt=in_dt if kind in EVENT_KINDS else None,
        out_guard_id=getattr(actor, "id", None) if kind in EVENT_KINDS else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        found = by_client_id(school, client_id)
        if found is None:
            raise
        return found, False
    record(actor, school, "gate.entry.create", entry, detail=f"kind={kind.value}")
    local_time = local_now(school, in_dt).strftime("%H:%M")
    if watch is not None:
        record(actor, school, "gate.watch.hit", entry, detail=f"watchlist={watch.id}")
        people = {u.id: u for u in duty_admins(school, local_now(school, now).date()) + directors(school)}
        notify(school, list(people.values()), "gate.watch", str(entry.id),
               {"time": local_time, "name": _short(watch.name)}, urgent=True)
    elif entry.host_id and kind in VISIT_KINDS and settings_for(school).is_host_sms_on:
        notify(school, [db.session.get(User, entry.host_id)], "gate.host", str(entry.id),
               {"name": _short(name), "time": local_time})
    return entry, True


def sign_out(actor, school: School, entry: GateEntry, *, out_time: dt.time | None = None, refused: bool = False,
             now: dt.datetime | None = None) -> bool:
    """Close an entry.  False (and nothing changed) when it was already closed."""
    if entry.out_dt is not None:
        return False
    now = now or now_utc()
    out_dt = resolve_time(school, out_time, now, "out_time")
    if out_dt < entry.in_dt:
        raise ServiceError(_l("The time out is before the time in."), "out_time")
    entry.out_dt = out_dt
    entry.out_guard_id = getattr(actor, "id", None)
    entry.is_refused = entry.is_refused or refused
    record(actor, school, "gate.entry.refuse" if refused else "gate.entry.sign_out", entry)
    return True


def confirm_stay(actor, school: School, entry: GateEntry, now: dt.datetime | None = None) -> None:
    if entry.out_dt is None:
        entry.stay_confirmed_dt = now or now_utc()
        record(actor, school, "gate.entry.stay", entry)


def _open_visits(school: School):
    return (sa.select(GateEntry)
            .where(GateEntry.school_id == school.id, GateEntry.out_dt.is_(None),
                   GateEntry.kind.in_([k.value for k in VISIT_KINDS])))


def on_site_now(school: School, *, offset: int = 0, limit: int | None = None) -> list[GateEntry]:
    """Everyone the gate let in and has not seen leave (visitors, parents, contractors, deliveries, vehicles):
    entries with `.name`, `.kind`, `.in_dt`, `.host` (a User or None), longest inside first (a page of them
    with `offset`/`limit`)."""
    return list(db.session.scalars(_open_visits(school).options(sa.orm.selectinload(GateEntry.host))
                                   .order_by(GateEntry.in_dt, GateEntry.id).offset(offset).limit(limit)))


def count_on_site(school: School) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(_open_visits(school).subquery())) or 0


def _word_match(school: School, word: str):
    """Ids of the school's entries with a name word starting with `word` (an index range scan)."""
    word = word.replace("\\", "").replace("%", "").replace("_", "")
    return sa.select(GateNameWord.entry_id).where(GateNameWord.school_id == school.id,
                                                  GateNameWord.word.like(word + "%"))


def recent_visitors(school: School, q: str = "", *, limit: int = 8, days: int = 60,
                    now: dt.datetime | None = None) -> list[GateEntry]:
    """Latest entry of each person seen recently whose name starts like `q` (a word of it)."""
    now = now or now_utc()
    since = now - dt.timedelta(days=days)
    stmt = (sa.select(GateEntry).where(GateEntry.school_id == school.id, GateEntry.in_dt >= since,
                                       GateEntry.anonymised_dt.is_(None), GateEntry.watchlist_id.is_(None),
                                       GateEntry.kind.in_([k.value for k in VISIT_KINDS]))
            .order_by(GateEntry.in_dt.desc()))
    for word in name_key(q).split()[:3]:
        stmt = stmt.where(GateEntry.id.in_(_word_match(school, word)))
    seen, out = set(), []
    for entry in db.session.scalars(stmt.limit(limit * 6)):
        if entry.name_key in seen:
            continue
        seen.add(entry.name_key)
        out.append(entry)
        if len(out) >= limit:
            break
    return out


def search(school: School, q: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
           limit: int = 100, offset: int = 0) -> list[GateEntry]:
    """Entries whose name has a word starting with `q` (any script), newest first."""
    key = name_key(q)
    stmt = sa.select(GateEntry).where(GateEntry.school_id == school.id)
    if since is not None:
        stmt = stmt.where(GateEntry.in_dt >= since)
    if until is not None:
        stmt = stmt.where(GateEntry.in_dt < until)
    for word in key.split()[:3]:
        stmt = stmt.where(GateEntry.id.in_(_word_match(school, word)))
    return list(db.session.scalars(stmt.options(sa.orm.selectinload(GateEntry.host))
                                   .order_by(GateEntry.in_dt.desc(), GateEntry.id.desc()).offset(offset).limit(limit)))


def entries_between(school: School, start: dt.datetime, end: dt.datetime, *, offset: int = 0,
                    limit: int | None = None) -> list[GateEntry]:
    """Entries in [start, end), oldest first, with their host and guards (a page with `offset`/`limit`)."""
    return list(db.session.scalars(
        sa.select(GateEntry).where(GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end)
        .options(sa.orm.selectinload(GateEntry.host), sa.orm.selectinload(GateEntry.guard),
                 sa.orm.selectinload(GateEntry.out_guard))
        .order_by(GateEntry.in_dt, GateEntry.id).offset(offset).limit(limit)))


def day_entries(school: School, day: dt.date) -> list[GateEntry]:
    return entries_between(school, *day_bounds(school, day))


# --- watchlist -------------------------------------------------------------------------------------


def add_watch(actor, school: School, *, name: str, reason, doc_last4: str | None = None, note: str = "",
              photo=None) -> WatchlistEntry:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_l("Type the name."), "name")
    last4 = clean_last4(doc_last4)
    photo_row = save_photo(school, photo) if photo is not None else None
    w = WatchlistEntry(school_id=school.id, name=name[:200], name_key=name_key(name), doc_last4=last4,
                       reason=WatchReason(reason), note=(note or "").strip()[:500],
                       photo_id=photo_row.id if photo_row else None, created_by_id=getattr(actor, "id", None))
    db.session.add(w)
    db.session.flush()
    record(actor, school, "gate.watch.create", w)
    return w


def remove_watch(actor, school: School, w: WatchlistEntry, now: dt.datetime | None = None) -> None:
    if w.is_active:
        w.is_active = False
        w.removed_dt = now or now_utc()
        record(actor, school, "gate.watch.remove", w)


# --- checkpoints and night rounds -------------------------------------------------------------------

_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        if db.session.scalar(sa.select(Checkpoint.id).where(Checkpoint.code == code)
                             .execution_options(cross_school="codes are unique across schools")) is None:
            return code


def add_checkpoint(actor, school: School, *, name: str, zone_id: int | None = None) -> Checkpoint:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_l("Type the name."), "name")
    if zone_id:
        from ..schools.models import Zone

        if db.session.scalar(sa.select(Zone.id).where(Zone.id == zone_id, Zone.school_id == school.id)) is None:
            raise ServiceError(_l("Choose a zone of this school."), "zone_id")
    position = (db.session.scalar(sa.select(sa.func.max(Checkpoint.position))
                                  .where(Checkpoint.school_id == school.id)) or 0) + 1
    cp = Checkpoint(school_id=school.id, name=name[:120], zone_id=zone_id or None, code=new_code(),
                    position=position)
    db.session.add(cp)
    db.session.flush()
    record(actor, school, "gate.checkpoint.create", cp)
    return cp


def active_checkpoints(school: School) -> list[Checkpoint]:
    return list(db.session.scalars(sa.select(Checkpoint).where(Checkpoint.school_id == school.id,
                                                              Checkpoint.is_active.is_(True))
                                   .order_by(Checkpoint.position, Checkpoint.id)))


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper().replace("-", "")[:12]


def checkpoint_by_code(school: School, code: str) -> Checkpoint:
    """The checkpoint of this school with this code, or a ServiceError saying what is wrong."""
    code = normalise_code(code)
    cp = db.session.scalar(sa.select(Checkpoint).where(Checkpoint.code == code).execution_options(
        cross_school="a code is unique across schools: another school's label is told apart")) if code else None
    if cp is None or not cp.is_active:
        raise ServiceError(_l("Unknown checkpoint code. Check the label and type it again."), "code")
    if cp.school_id != school.id:
        raise ServiceError(_l("This checkpoint belongs to another school."), "code")
    return cp


def record_scan(actor, school: School, cp: Checkpoint, *, method: str = "qr", client_id: str = "",
                now: dt.datetime | None = None) -> tuple[CheckpointScan, bool]:
    if cp.school_id != school.id:
        raise ServiceError(_l("This checkpoint belongs to another school."), "code")
    client_id = (client_id or "").strip()[:40] or secrets.token_hex(16)
    found = db.session.scalar(sa.select(CheckpointScan).where(CheckpointScan.school_id == school.id,
                                                              CheckpointScan.client_id == client_id))
    if found is not None:
        return found, False
    scan = CheckpointScan(school_id=school.id, checkpoint_id=cp.id, guard_id=getattr(actor, "id", None),
                          scanned_dt=now or now_utc(), method="code" if method == "code" else "qr",
                          client_id=client_id)
    try:
        with db.session.begin_nested():
            db.session.add(scan)
            db.session.flush()
    except IntegrityError:
        found = db.session.scalar(sa.select(CheckpointScan).where(CheckpointScan.school_id == school.id,
                                                                  CheckpointScan.client_id == client_id))
        if found is None:
            raise
        return found, False
    record(actor, school, "gate.round.scan", scan, detail=f"checkpoint={cp.id}")
    return scan, True


@dataclass
class RoundSlot:
    start: dt.datetime
    deadline: dt.datetime
    window_end: dt.datetime
    #: checkpoint -> (first scan in the window or None, "done" | "late" | "missed" | "due")
    results: list[tuple[Checkpoint, CheckpointScan | None, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for _cp, _scan, s in self.results if s == status)


def night_slots(school: School, night: dt.date, settings: GateSettings | None = None) -> list[RoundSlot]:
    """The rounds of the night starting on the evening of `night` (times before noon are the next morning)."""
    settings = settings or settings_for(school)
    starts = []
    for t in parse_round_times(settings.round_times):
        day = night if t >= dt.time(12) else night + dt.timedelta(days=1)
        starts.append(local_to_utc(day, t, school.timezone))
    grace = dt.timedelta(minutes=settings.round_grace_minutes)
    slots = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else start + max(LAST_ROUND_WINDOW, grace)
        slots.append(RoundSlot(start=start, deadline=start + grace, window_end=max(end, start + grace)))
    return slots


def night_rounds(school: School, night: dt.date, now: dt.datetime | None = None) -> list[RoundSlot]:
    """Each round of the night with every active checkpoint's result."""
    now = now or now_utc()
    slots = night_slots(school, night)
    if not slots:
        return []
    checkpoints = active_checkpoints(school)
    scans = list(db.session.scalars(
        sa.select(CheckpointScan).where(CheckpointScan.school_id == school.id,
                                        CheckpointScan.scanned_dt >= slots[0].start,
                                        CheckpointScan.scanned_dt < slots[-1].window_end)
        .order_by(CheckpointScan.scanned_dt)))
    for slot in slots:
        for cp in checkpoints:
            scan = next((s for s in scans if s.checkpoint_id == cp.id and slot.start <= s.scanned_dt < slot.window_end),
                        None)
            if scan is not None:
                status = "done" if scan.scanned_dt <= slot.deadline else "late"
            elif now < slot.deadline:
                status = "due"
            else:
                status = "missed"
            slot.results.append((cp, scan, status))
    return slots


def current_night(school: School, now: dt.datetime | None = None) -> dt.date:
    """The night a guard is walking now: before noon it is the night that began yesterday evening."""
    local = local_now(school, now)
    return local.date() - dt.timedelta(days=1) if local.time() < dt.time(12) else local.date()


# --- alerts (called by the sweeps in jobs.py) --------------------------------------------------------


def alert_missed_rounds(school: School, now: dt.datetime) -> int:
    """At-once mode: one SMS per round whose grace passed with checkpoints not scanned."""
    settings = settings_for(school)
    if settings.round_alert_mode is not RoundAlertMode.AT_ONCE:
        return 0
    queued = 0
    night = current_night(school, now)
    for n in (night - dt.timedelta(days=1), night):
        for slot in night_rounds(school, n, now):
            if slot.deadline > now or now - slot.deadline > CATCH_UP:
                continue
            missed = sum(1 for _cp, scan, _s in slot.results if scan is None or scan.scanned_dt > slot.deadline)
            if not missed:
                continue
            people = duty_admins(school, n) or directors(school)
            queued += len(notify(school, people, "gate.round_missed", f"{school.id}:{slot.start:%Y%m%d%H%M}",
                                 {"time": local_now(school, slot.start).strftime("%H:%M"), "count": missed,
                                  "total": len(slot.results)}, urgent=True))
    return queued


def morning_summary(school: School, now: dt.datetime) -> int:
    """Morning mode: after the morning time, one SMS with last night's rounds."""
    settings = settings_for(school)
    if settings.round_alert_mode is not RoundAlertMode.MORNING:
        return 0
    local = local_now(school, now)
    due = dt.datetime.combine(local.date(), settings.morning_time, tzinfo=local.tzinfo)
    if not due <= local < due + CATCH_UP:
        return 0
    night = local.date() - dt.timedelta(days=1)
    slots = night_rounds(school, night, now)
    if not slots or not slots[0].results:
        return 0
    done = sum(s.count("done") for s in slots)
    late = sum(s.count("late") for s in slots)
    missed = sum(s.count("missed") for s in slots)
    people = {u.id: u for u in duty_admins(school, local.date()) + directors(school)}
    return len(notify(school, list(people.values()), "gate.rounds_summary", f"{school.id}:{night:%Y%m%d}",
                      {"done": done, "late": late, "missed": missed}))


def alert_after_closing(school: School, now: dt.datetime) -> int:
    """Visitors still inside after closing time: one SMS per day to the duty administrator."""
    settings = settings_for(school)
    local_today = local_now(school, now).date()
    queued = 0
    for day in (local_today - dt.timedelta(days=1), local_today):
        closing = local_to_utc(day, settings.closing_time, school.timezone)
        if now < closing:
            continue
        start, _end = day_bounds(school, day)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(
            _open_visits(school).where(GateEntry.in_dt >= start, GateEntry.in_dt < closing)
            .where(GateEntry.is_refused.is_(False)).subquery())) or 0
        if count:
            queued += len(notify(school, duty_admins(school, day), "gate.after_closing",
                                 f"{school.id}:{day:%Y%m%d}",
                                 {"time": settings.closing_time.strftime("%H:%M"), "count": count}, urgent=True))
    return queued


def anonymise_expired(school: School, now: dt.datetime) -> int:
    """Wipe the personal fields of entries older than the school's retention period (idempotent)."""
    cutoff = now - dt.timedelta(days=settings_for(school).retention_days)
    old = (sa.select(GateEntry.id).where(GateEntry.school_id == school.id, GateEntry.in_dt < cutoff,
                                         GateEntry.anonymised_dt.is_(None)))
    ids = list(db.session.scalars(old))
    if not ids:
        return 0
    photo_ids = [p for p in db.session.scalars(sa.select(GateEntry.photo_id).where(
        GateEntry.school_id == school.id, GateEntry.id.in_(ids), GateEntry.photo_id.is_not(None)))]
    for chunk in range(0, len(ids), 1000):
        db.session.execute(
            sa.update(GateEntry).where(GateEntry.id.in_(ids[chunk:chunk + 1000]))
            .values(name=ANONYMISED, name_key="", doc_last4=None, phone=None, purpose="", vehicle_plate="",
                    photo_id=None, anonymised_dt=now))
    for chunk in range(0, len(ids), 1000):
        db.session.execute(sa.delete(GateNameWord).where(GateNameWord.entry_id.in_(ids[chunk:chunk + 1000])))
    if photo_ids:
        db.session.execute(sa.delete(GatePhoto).where(GatePhoto.id.in_(photo_ids)))
    record(None, school, "gate.retention", detail=f"anonymised={len(ids)}")
    return len(ids)


# --- the daily access-regime report ------------------------------------------------------------------


@dataclass
class DailyReport:
    day: dt.date
    by_kind: dict[EntryKind, int]
    total: int
    late_staff: list[GateEntry]
    not_signed_out: list[GateEntry]
    refused: int
    watch_hits: list[GateEntry]
    rounds: list[RoundSlot]
    entries: list[GateEntry]

    @property
    def rounds_done(self) -> int:
        return sum(s.count("done") for s in self.rounds)

    @property
    def rounds_late(self) -> int:
        return sum(s.count("late") for s in self.rounds)

    @property
    def rounds_missed(self) -> int:
        return sum(s.count("missed") for s in self.rounds)


def daily_report(school: School, day: dt.date, now: dt.datetime | None = None, *, offset: int = 0,
                 limit: int | None = None) -> DailyReport:
    """The day's numbers (counted by the database), its late staff, visitors not signed out and watchlist
    hits, its night rounds, and its journal (`entries`: a page of it with `offset`/`limit`)."""
    start, end = day_bounds(school, day)
    in_day = (GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end)
    by_kind = {k: 0 for k in EntryKind}
    refused = 0
    for kind, n, n_refused in db.session.execute(
            sa.select(GateEntry.kind, sa.func.count(), sa.func.sum(sa.case((GateEntry.is_refused.is_(True), 1),
                                                                           else_=0)))
            .where(*in_day).group_by(GateEntry.kind)):
        by_kind[EntryKind(kind)] = n
        refused += n_refused or 0
    visits = [k.value for k in VISIT_KINDS]
    notable = list(db.session.scalars(
        sa.select(GateEntry).where(*in_day, sa.or_(
            GateEntry.kind == EntryKind.STAFF_LATE, GateEntry.watchlist_id.is_not(None),
            sa.and_(GateEntry.out_dt.is_(None), GateEntry.kind.in_(visits))))
        .order_by(GateEntry.in_dt, GateEntry.id)))
    return DailyReport(
        day=day, by_kind=by_kind, total=sum(by_kind.values()),
        late_staff=[e for e in notable if e.kind is EntryKind.STAFF_LATE],
        not_signed_out=[e for e in notable if e.out_dt is None and e.kind in VISIT_KINDS],
        refused=refused,
        watch_hits=[e for e in notable if e.watchlist_id is not None],
        rounds=night_rounds(school, day, now), entries=entries_between(school, start, end, offset=offset, limit=limit),
    )


def day_counts(school: School, day: dt.date, now: dt.datetime | None = None) -> dict:
    """Numbers only, no names: what the district inspector sees."""
    start, end = day_bounds(school, day)
    rows = db.session.execute(
        sa.select(GateEntry.kind, sa.func.count(), sa.func.count(GateEntry.watchlist_id),
                  sa.func.sum(sa.case((GateEntry.out_dt.is_(None), 1), else_=0)))
        .where(GateEntry.school_id == school.id, GateEntry.in_dt >= start, GateEntry.in_dt < end)
        .group_by(GateEntry.kind)).all()
    by_kind = {k: 0 for k in EntryKind}
    hits = open_ = 0
    for kind, n, h, o in rows:
        by_kind[EntryKind(kind)] = n
        hits += h or 0
        if EntryKind(kind) in VISIT_KINDS:
            open_ += o or 0
    slots = night_rounds(school, day, now)
    return {"day": day, "by_kind": by_kind, "total": sum(by_kind.values()), "watch_hits": hits,
            "not_signed_out": open_, "rounds_done": sum(s.count("done") for s in slots),
            "rounds_late": sum(s.count("late") for s in slots),
            "rounds_missed": sum(s.count("missed") for s in slots)}


# --- shared gate phone: PIN and shifts -----------------------------------------------------------------


def set_pin(actor, school: School, pin: str, pin_hash: str | None = None) -> None:
    """The guard's PIN.  Pass `pin_hash=hash_password(pin)` made with no transaction open (the view
    hashes before it begins its write), or it is hashed here."""
    pin = (pin or "").strip()
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise ServiceError(_l("The PIN is 4 to 8 digits."), "pin")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ServiceError(_l("This PIN is too easy to guess."), "pin")
    pin_hash = pin_hash or hash_password(pin)
    row = db.session.scalar(sa.select(GatePin).where(GatePin.school_id == school.id, GatePin.user_id == actor.id))
    if row is None:
        row = GatePin(school_id=school.id, user_id=actor.id, pin_hash="")
        db.session.add(row)
    row.pin_hash = pin_hash
    row.failed_count = 0
    row.set_dt = now_utc()
    record(actor, school, "gate.pin.set", actor)


def has_pin(user, school: School) -> bool:
    return db.session.scalar(sa.select(GatePin.id).where(GatePin.school_id == school.id,
                                                         GatePin.user_id == user.id)) is not None


def unlock_hash(user, school: School) -> str:
    """Step 1 of unlocking (a read): the hash to check, the PIN's or else the password's."""
    row = db.session.scalar(sa.select(GatePin.pin_hash).where(GatePin.school_id == school.id,
                                                              GatePin.user_id == user.id))
    return row if row is not None else user.password_hash


def finish_unlock(user, school: School, ok: bool) -> bool | None:
    """Step 3 of unlocking (a write), after `verify_password` ran with no transaction open.
    True: unlocked.  False: wrong.  None: too many wrong tries (the session must end)."""
    row = db.session.scalar(sa.select(GatePin).where(GatePin.school_id == school.id, GatePin.user_id == user.id))
    if ok:
        if row is not None:
            row.failed_count = 0
        record(user, school, "gate.unlock", user)
        return True
    if row is None:
        record(user, school, "gate.unlock_failed", user)
        return False
    row.failed_count += 1
    record(user, school, "gate.unlock_failed", user, detail=f"count={row.failed_count}")
    if row.failed_count >= MAX_PIN_FAILURES:
        row.failed_count = 0
        return None
    return False


def check_unlock(user, school: School, secret: str) -> bool | None:
    """The three steps of unlocking in one call (the view runs them apart, around its commits)."""
    return finish_unlock(user, school, verify_password(unlock_hash(user, school), secret or ""))


@cross_school("a gate phone's open shifts, whoever signed in on it")
def start_shift(school: School, user, device_id: str, now: dt.datetime | None = None) -> GateShift:
    """A guard signed in on a gate phone: any other guard's open shift on that phone ends."""
    now = now or now_utc()
    for other in db.session.scalars(sa.select(GateShift).where(GateShift.device_id == device_id,
                                                               GateShift.ended_dt.is_(None))):
        other.ended_dt = now
        record(user, school, "gate.shift.end", other, detail=f"guard={other.guard_id}")
    shift = GateShift(school_id=school.id, device_id=device_id, guard_id=user.id, started_dt=now)
    db.session.add(shift)
    db.session.flush()
    record(user, school, "gate.shift.start", shift)
    return shift


@cross_school("a shift named by the phone's own session")
def end_shift(shift_id: int | None, now: dt.datetime | None = None) -> None:
    if shift_id:
        shift = db.session.get(GateShift, shift_id)
        if shift is not None and shift.ended_dt is None:
            shift.ended_dt = now or now_utc()


def shift_is_open(shift_id: int) -> bool:
    return shift_state(shift_id) != "ended"


@cross_school("a shift named by the phone's own session")
def shift_state(shift_id: int) -> str:
    """"open", "locked" (the PIN is needed) or "ended"; an unknown shift counts as ended."""
    row = db.session.execute(sa.select(GateShift.ended_dt, GateShift.locked_dt)
                             .where(GateShift.id == shift_id)).first()
    if row is None or row.ended_dt is not None:
        return "ended"
    return "locked" if row.locked_dt is not None else "open"


@cross_school("a shift named by the phone's own session")
def lock_shift(user, school: School, shift_id: int, now: dt.datetime | None = None) -> None:
    """The gate phone is locked on the server: every copy of the session cookie needs the PIN."""
    shift = db.session.get(GateShift, shift_id)
    if shift is not None and shift.ended_dt is None and shift.locked_dt is None:
        shift.locked_dt = now or now_utc()
        record(user, school, "gate.lock", shift)


@cross_school("a shift named by the phone's own session")
def unlock_shift(shift_id: int | None) -> None:
    shift = db.session.get(GateShift, shift_id) if shift_id else None
    if shift is not None:
        shift.locked_dt = None
