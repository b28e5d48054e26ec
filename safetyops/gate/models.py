"""Gate log rows, the watchlist, night-round checkpoints and scans, gate settings, shared-phone shifts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..time import now_utc


class EntryKind(StrEnum):
    VISITOR = "visitor"
    PARENT = "parent"
    CONTRACTOR = "contractor"
    DELIVERY = "delivery"
    VEHICLE = "vehicle"
    STAFF_LATE = "staff_late"
    STAFF_EARLY = "staff_early"
    STUDENT_LATE = "student_late"
    STUDENT_EARLY = "student_early"


ENTRY_KIND_LABELS = {
    EntryKind.VISITOR: _l("Visitor"),
    EntryKind.PARENT: _l("Parent"),
    EntryKind.CONTRACTOR: _l("Contractor"),
    EntryKind.DELIVERY: _l("Delivery"),
    EntryKind.VEHICLE: _l("Vehicle"),
    EntryKind.STAFF_LATE: _l("Staff: late arrival"),
    EntryKind.STAFF_EARLY: _l("Staff: early leave"),
    EntryKind.STUDENT_LATE: _l("Student: late arrival"),
    EntryKind.STUDENT_EARLY: _l("Student: early leave"),
}

#: Kinds that are one moment (an arrival of staff, a student let out): closed when logged,
#: never "on site" as visitors.
EVENT_KINDS = frozenset({EntryKind.STAFF_LATE, EntryKind.STAFF_EARLY, EntryKind.STUDENT_LATE,
                         EntryKind.STUDENT_EARLY})
#: Kinds that stay on site until signed out.
VISIT_KINDS = frozenset(EntryKind) - EVENT_KINDS


class DocType(StrEnum):
    NONE = "none"
    PASSPORT = "passport"
    ID_CARD = "id_card"
    DRIVER_LICENCE = "driver_licence"
    OTHER = "other"


DOC_TYPE_LABELS = {
    DocType.NONE: _l("No document"),
    DocType.PASSPORT: _l("Passport"),
    DocType.ID_CARD: _l("ID card"),
    DocType.DRIVER_LICENCE: _l("Driving licence"),
    DocType.OTHER: _l("Other document"),
}


class GatePhoto(db.Model):
    """A photo taken at the gate or for the watchlist (kept in the database: backed up with it)."""

    __tablename__ = "gate_photos"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: MIME type of the image (image/jpeg, image/png, image/webp).
    content_type: Mapped[str] = mapped_column(sa.String(40))
    #: The image bytes (re-encoded, metadata stripped).
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    #: When it was taken.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class WatchReason(StrEnum):
    BARRED = "barred"
    CUSTODY = "custody"


WATCH_REASON_LABELS = {
    WatchReason.BARRED: _l("Barred from the school"),
    WatchReason.CUSTODY: _l("Custody restriction"),
}


class WatchlistEntry(db.Model):
    """A person who must not be let in (or must not take a child): kept until removed."""

    __tablename__ = "gate_watchlist"
    __table_args__ = (sa.CheckConstraint("length(doc_last4) <= 4", name="doc_last4_short"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Name as written on the order or court decision.
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Name folded to Latin tokens (see names.name_key) for matching across spellings.
    name_key: Mapped[str] = mapped_column(sa.String(200))
    #: Last four characters of the person's document, if known.
    doc_last4: Mapped[str | None] = mapped_column(sa.String(4))
    #: Why the person is listed.
    reason: Mapped[WatchReason] = enum_column(WatchReason)
    #: What the guard must do or know (e.g. "may not take the child from class 3B").
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Photo to recognise the person.
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gate_photos.id", ondelete="SET NULL"))
    #: Removed entries no longer match (kept for the history of hits).
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Who listed the person.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When the person was listed.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: When the entry was removed.
    removed_dt: Mapped[dt.datetime | None]


class GateEntry(db.Model):
    """One line of the gate journal: someone came in (and later went out)."""

    __tablename__ = "gate_entries"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "client_id"),
        sa.CheckConstraint("out_dt IS NULL OR out_dt >= in_dt", name="out_after_in"),
        sa.CheckConstraint("length(doc_last4) <= 4", name="doc_last4_short"),
        sa.CheckConstraint("photo_id IS NULL OR has_photo_consent", name="photo_needs_consent"),
        sa.Index("ix_gate_entries_school_in", "school_id", "in_dt"),
        sa.Index("ix_gate_entries_open", "school_id", "out_dt"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    #: Id made by the phone for this entry: a retried submit is stored once.
    client_id: Mapped[str] = mapped_column(sa.String(40))
    #: What kind of entry.
    kind: Mapped[EntryKind] = enum_column(EntryKind)
    #: Name as the person gave it ("—" once anonymised).
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Name folded to Latin tokens for search and suggestions.
    name_key: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Type of the document shown.
    doc_type: Mapped[DocType] = enum_column(DocType, default=DocType.NONE)
    #: Only the last four characters of the document number, never the whole number.
    doc_last4: Mapped[str | None] = mapped_column(sa.String(4))
    #: Phone in E.164, optional.
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    #: Why they came.
    purpose: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Staff member visited (or who gave the permission for a student).
    host_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Vehicle registration plate.
    vehicle_plate: Mapped[str] = mapped_column(sa.String(20), default="")
    #: When they came in.
    in_dt: Mapped[dt.datetime]
    #: When they left; None while on site.
    out_dt: Mapped[dt.datetime | None]
    #: Guard who logged the entry.
    guard_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Guard who logged the exit.
    out_guard_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The person agreed to a photo (recorded before a photo can be kept).
    has_photo_consent: Mapped[bool] = mapped_column(default=False)
    #: The photo, only with consent.
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gate_photos.id", ondelete="SET NULL"))
    #: The watchlist entry this person matched, if any.
    watchlist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gate_watchlist.id", ondelete="SET NULL"))
    #: The guard did not let the person in (watchlist match or other reason).
    is_refused: Mapped[bool] = mapped_column(default=False)
    #: At closing, the guard confirmed the person is still inside.
    stay_confirmed_dt: Mapped[dt.datetime | None]
    #: When the personal fields were wiped by the retention job.
    anonymised_dt: Mapped[dt.datetime | None]
    #: When the row was written.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    host = relationship("User", foreign_keys=[host_id])
    guard = relationship("User", foreign_keys=[guard_id])
    out_guard = relationship("User", foreign_keys=[out_guard_id])
    watch: Mapped[WatchlistEntry | None] = relationship()
    words: Mapped[list[GateNameWord]] = relationship(back_populates="entry", cascade="all, delete-orphan",
                                                     passive_deletes=True)

    @validates("name_key")
    def _index_words(self, _key, value):
        """Each word of the folded name gets a row in gate_name_words (searched by prefix)."""
        self.words = [GateNameWord(word=w[:60]) for w in dict.fromkeys((value or "").split())]
        return value

    @property
    def is_open(self) -> bool:
        return self.out_dt is None


class GateNameWord(db.Model):
    """One word of a gate entry's folded name: a name search is a prefix search on an index."""

    __tablename__ = "gate_name_words"
    __table_args__ = (
        sa.Index("ix_gate_name_words_school_word", "school_id", "word",
                 postgresql_ops={"word": "varchar_pattern_ops"}),
    )

    id: Mapped[intpk]
    #: Owning school (copied from the entry, so a search never leaves the school).
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    #: The entry.
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("gate_entries.id", ondelete="CASCADE"), index=True)
    #: One folded word of the name (names.name_key).
    word: Mapped[str] = mapped_column(sa.String(60))

    entry: Mapped[GateEntry] = relationship(back_populates="words")


@sa.event.listens_for(GateNameWord, "before_insert")
def _word_school(_mapper, _connection, target: GateNameWord) -> None:
    target.school_id = target.entry.school_id if target.entry is not None else target.school_id


class RoundAlertMode(StrEnum):
    AT_ONCE = "at_once"
    MORNING = "morning"


class GateSettings(db.Model):
    """Per-school gate rules (a row is made with defaults the first time it is needed)."""

    __tablename__ = "gate_settings"
    __table_args__ = (
        sa.CheckConstraint("retention_days >= 1", name="retention_positive"),
        sa.CheckConstraint("round_grace_minutes BETWEEN 5 AND 180", name="grace_range"),
    )

    id: Mapped[intpk]
    #: The school (one row per school).
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"), unique=True)
    #: Local time the school closes: visitors still inside after it alert the duty administrator.
    closing_time: Mapped[dt.time] = mapped_column(default=dt.time(19, 0))
    #: Days a gate entry keeps its personal fields before it is anonymised.
    retention_days: Mapped[int] = mapped_column(default=90)
    #: Local start times of the night rounds, "HH:MM" separated by commas (evening first).
    round_times: Mapped[str] = mapped_column(sa.String(200), default="22:00, 01:00, 04:00")
    #: Minutes after a round's start within which every checkpoint must be scanned.
    round_grace_minutes: Mapped[int] = mapped_column(default=40)
    #: A missed checkpoint alerts at once or in the morning summary.
    round_alert_mode: Mapped[RoundAlertMode] = enum_column(RoundAlertMode, default=RoundAlertMode.AT_ONCE)
    #: Local time of the morning summary of the night's rounds.
    morning_time: Mapped[dt.time] = mapped_column(default=dt.time(7, 30))
    #: Tell the host by SMS when their visitor is logged.
    is_host_sms_on: Mapped[bool] = mapped_column(default=True)
    #: Minutes without a touch before the gate phone's screen locks.
    lock_minutes: Mapped[int] = mapped_column(default=3)


class Checkpoint(db.Model):
    """A place a night guard must visit on each round, with a QR label."""

    __tablename__ = "gate_checkpoints"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Zone of the checkpoint, if it is in one.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"))
    #: Short name ("Boiler room door").
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Short code printed under the QR and typed when the camera fails (unique everywhere).
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    #: Retired checkpoints are not expected on rounds.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Order along the round.
    position: Mapped[int] = mapped_column(default=0)

    zone = relationship("Zone")


class CheckpointScan(db.Model):
    """A guard was at a checkpoint (QR scanned or code typed)."""

    __tablename__ = "gate_scans"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "client_id"),
        sa.Index("ix_gate_scans_school_dt", "school_id", "scanned_dt"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    #: The checkpoint.
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("gate_checkpoints.id", ondelete="CASCADE"), index=True)
    #: The guard.
    guard_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When the guard was there.
    scanned_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: "qr" (the label's link) or "code" (typed).
    method: Mapped[str] = mapped_column(sa.String(8), default="qr")
    #: Id made by the page: a retried submit is stored once.
    client_id: Mapped[str] = mapped_column(sa.String(40))

    checkpoint: Mapped[Checkpoint] = relationship()
    guard = relationship("User")


class GatePin(db.Model):
    """A guard's quick PIN to unlock the shared gate phone (argon2id hash)."""

    __tablename__ = "gate_pins"
    __table_args__ = (sa.UniqueConstraint("school_id", "user_id"),)

    id: Mapped[intpk]
    #: School.
    school_id: Mapped[int] = school_fk()
    #: The guard.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: argon2id hash of the PIN.
    pin_hash: Mapped[str] = mapped_column(sa.String(255))
    #: Wrong PINs in a row (5 end the session: the password is needed again).
    failed_count: Mapped[int] = mapped_column(default=0)
    #: When the PIN was set.
    set_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class GateShift(db.Model):
    """A guard's shift on one gate phone: a new guard signing in on that phone ends the previous one."""

    __tablename__ = "gate_shifts"

    id: Mapped[intpk]
    #: School.
    school_id: Mapped[int] = school_fk()
    #: Random id of the phone (a long-lived cookie).
    device_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    #: The guard.
    guard_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: Shift start (sign-in on the phone).
    started_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: Shift end: sign-out or another guard signed in on the phone.
    ended_dt: Mapped[dt.datetime | None]
    #: Since when the phone is locked (the guard's PIN unlocks it); None while unlocked.  Kept here, not in
    #: the session cookie, so that replaying an older copy of the cookie does not skip the PIN.
    locked_dt: Mapped[dt.datetime | None]

    guard = relationship("User")
