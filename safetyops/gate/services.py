"""Gate log services: the log's entries (in, out, found by name), the watchlist, the SMS texts and whom they
alert.  Plain functions: the actor and the school are arguments.

Other areas read `on_site_now(school)` (the drills' evacuation list).  Beside this module: the settings and
the gate's local time (`settings.py`), the night rounds (`rounds.py`), the daily report, counts and journal
(`daily.py`), the shared gate phone's PIN and shifts (`phone.py`), and what the sweeps do (`sweeps.py`)."""

from __future__ import annotations

import datetime as dt
import secrets

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
from ..time import now_utc

# Re-exported (moved beside this module, still imported from here): reports' DEFAULT_SETTINGS and night_slots,
# privacy's settings_for, bench/gate_log.py's local_now, daily_report and day_counts, and the hostile-input
# test's set_pin.
from .daily import daily_report, day_counts  # noqa: F401 - re-exported
from .models import (
    EVENT_KINDS,
    VISIT_KINDS,
    DocType,
    EntryKind,
    GateEntry,
    GateNameWord,
    GatePhoto,
    WatchlistEntry,
    WatchReason,
)
from .names import name_key, names_match
from .phone import set_pin  # noqa: F401 - re-exported
from .rounds import night_slots  # noqa: F401 - re-exported
from .settings import (
    DEFAULT_SETTINGS,  # noqa: F401 - re-exported
    local_now,
    resolve_time,
    settings_for,
)

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


def notify(school: School, recipients, kind: str, key: str, params: dict, *, urgent: bool = False) -> list:
    """Queue SMS through the notifications outbox in the current transaction."""
    if not recipients:
        return []
    return outbox.notify(school, recipients, kind, key, params, urgent=urgent)


def _short(text: str, n: int = 22) -> str:
    text = (text or "").strip()
    return text if len(text) <= n else text[: n - 1] + "…"


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


def open_visits(school: School):
    return (sa.select(GateEntry)
            .where(GateEntry.school_id == school.id, GateEntry.out_dt.is_(None),
                   GateEntry.kind.in_([k.value for k in VISIT_KINDS])))


def on_site_now(school: School, *, offset: int = 0, limit: int | None = None) -> list[GateEntry]:
    """Everyone the gate let in and has not seen leave (visitors, parents, contractors, deliveries, vehicles):
    entries with `.name`, `.kind`, `.in_dt`, `.host` (a User or None), longest inside first (a page of them
    with `offset`/`limit`)."""
    return list(db.session.scalars(open_visits(school).options(sa.orm.selectinload(GateEntry.host))
                                   .order_by(GateEntry.in_dt, GateEntry.id).offset(offset).limit(limit)))


def count_on_site(school: School) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(open_visits(school).subquery())) or 0


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
