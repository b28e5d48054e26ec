"""Checklist versions, assets, schedules, runs, answers, photos and corrective actions."""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import enum_column, intpk, school_fk
from ..schools.models import Area
from ..time import now_utc


def new_token() -> str:
    return secrets.token_urlsafe(12)


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


SEVERITY_LABELS = {
    Severity.CRITICAL: _l("Critical"),
    Severity.MAJOR: _l("Major"),
    Severity.MINOR: _l("Minor"),
}
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2}


class Frequency(StrEnum):
    DAILY = "daily"
    SCHOOL_DAYS = "school_days"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


FREQUENCY_LABELS = {
    Frequency.DAILY: _l("Every day"),
    Frequency.SCHOOL_DAYS: _l("School days"),
    Frequency.WEEKLY: _l("Weekly"),
    Frequency.MONTHLY: _l("Monthly"),
    Frequency.QUARTERLY: _l("Quarterly"),
    Frequency.YEARLY: _l("Yearly"),
}


class AssetType(StrEnum):
    FIRE_EXTINGUISHER = "fire_extinguisher"
    FIRE_ALARM_PANEL = "fire_alarm_panel"
    ELECTRICAL_PANEL = "electrical_panel"
    HYDRANT = "hydrant"
    EMERGENCY_LIGHT = "emergency_light"


ASSET_TYPE_LABELS = {
    AssetType.FIRE_EXTINGUISHER: _l("Fire extinguisher"),
    AssetType.FIRE_ALARM_PANEL: _l("Fire alarm panel"),
    AssetType.ELECTRICAL_PANEL: _l("Electrical panel"),
    AssetType.HYDRANT: _l("Fire hydrant"),
    AssetType.EMERGENCY_LIGHT: _l("Emergency light"),
}


class AssigneeKind(StrEnum):
    ROLE = "role"
    ON_DUTY = "on_duty"
    PERSON = "person"


ASSIGNEE_KIND_LABELS = {
    AssigneeKind.ROLE: _l("Everyone with a role"),
    AssigneeKind.ON_DUTY: _l("The person on duty in the zone"),
    AssigneeKind.PERSON: _l("A named person"),
}


class Result(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NA = "na"


RESULT_LABELS = {Result.PASS: _l("Pass"), Result.FAIL: _l("Fail"), Result.NA: _l("N/A")}


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    VERIFIED = "verified"


ACTION_STATUS_LABELS = {
    ActionStatus.OPEN: _l("Open"),
    ActionStatus.IN_PROGRESS: _l("In progress"),
    ActionStatus.FIXED: _l("Fixed, to verify"),
    ActionStatus.VERIFIED: _l("Verified"),
}
OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.FIXED)


class ActionSource(StrEnum):
    FAILED_ITEM = "failed_item"
    HAZARD = "hazard"
    OTHER = "other"


class ChecklistVersion(db.Model):
    """One immutable version of a checklist template as synced from its YAML file.

    A new content hash makes a new row; rows are never changed, so a run points at the
    exact wording it was done against."""

    __tablename__ = "checklist_versions"
    __table_args__ = (sa.UniqueConstraint("template_key", "content_hash"),)

    id: Mapped[intpk]
    #: The template's id (the file stem), e.g. fire_daily_walk.
    template_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: The `version` number written in the file.
    file_version: Mapped[int]
    #: sha256 of the canonical content.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    #: The whole template (titles, items, window…) as JSON, in the file's shape.
    content: Mapped[dict] = mapped_column(sa.JSON)
    #: When the sync stored it.
    synced_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    def title(self, lang: str) -> str:
        return _pick(self.content["title"], lang)

    @property
    def items(self) -> list[dict]:
        return self.content["items"]

    def item(self, item_id: str) -> dict | None:
        return next((i for i in self.items if i["id"] == item_id), None)


def _pick(texts: dict, lang: str) -> str:
    code = (lang or "ru").replace("-", "_").split("_", 1)[0].lower()
    return texts.get(code) or texts.get("ru") or next(iter(texts.values()))


def pick_text(texts: dict | None, lang: str) -> str:
    return _pick(texts, lang) if texts else ""


class Asset(db.Model):
    """A piece of safety equipment: an extinguisher, a panel, a hydrant, an emergency light."""

    __tablename__ = "assets"
    __table_args__ = (sa.UniqueConstraint("school_id", "code"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Where it is.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    #: What it is.
    asset_type: Mapped[AssetType] = enum_column(AssetType)
    #: Short inventory code painted on it, e.g. ОП-12.
    code: Mapped[str] = mapped_column(sa.String(40))
    #: Model or description, e.g. "ОП-4 (з) порошковый".
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Capacity as written on it: "4 kg", "6 l"…
    capacity: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Manufacturer's serial number.
    serial: Mapped[str] = mapped_column(sa.String(80), default="")
    #: Date put into service.
    commissioned_on: Mapped[dt.date | None]
    #: Last service or recharge.
    last_service_on: Mapped[dt.date | None]
    #: Next service or recharge due.
    next_service_on: Mapped[dt.date | None]
    #: Secret in the QR label URL; scanning it proves presence at the asset.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_token)
    #: Retired assets stay for history.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: When it was registered.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    zone: Mapped[Zone | None] = relationship()  # noqa: F821


class Schedule(db.Model):
    """A template applied to a zone or an asset, how often, in which window, by whom."""

    __tablename__ = "inspection_schedules"
    __table_args__ = (
        sa.CheckConstraint("(zone_id IS NULL) <> (asset_id IS NULL)", name="zone_xor_asset"),
        sa.CheckConstraint("due_time > opens_time", name="window_ordered"),
        sa.CheckConstraint(
            "(assignee_kind <> 'person') OR (assignee_user_id IS NOT NULL)", name="person_named"),
    )

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: Template id (file stem); runs use its latest version at start.
    template_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: The zone checked (or None when an asset is).
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    #: The asset checked (or None when a zone is).
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    #: How often.
    frequency: Mapped[Frequency] = enum_column(Frequency)
    #: Window opens at (school-local time) on the first day of the period.
    opens_time: Mapped[dt.time]
    #: To be done by (school-local time) on the due day.
    due_time: Mapped[dt.time]
    #: Who it falls to: a role, the person on duty in the zone, or a named person.
    assignee_kind: Mapped[AssigneeKind] = enum_column(AssigneeKind)
    #: The role (for role and on-duty fallback).
    assignee_role: Mapped[str] = mapped_column(sa.String(40), default="teacher")
    #: The named person.
    assignee_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: First day it applies.
    starts_on: Mapped[dt.date]
    #: Paused schedules make no occurrences.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: When it was made.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    zone: Mapped[Zone | None] = relationship()  # noqa: F821
    asset: Mapped[Asset | None] = relationship()
    assignee_user: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def place_zone(self):
        return self.zone if self.zone is not None else (self.asset.zone if self.asset else None)


class RunStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Run(db.Model):
    """One checklist being (or having been) ticked."""

    __tablename__ = "inspection_runs"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "period_start"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The schedule this run fulfils (None for an unscheduled check).
    schedule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inspection_schedules.id", ondelete="SET NULL"), index=True)
    #: First day of the period this run is for (school-local date).
    period_start: Mapped[dt.date]
    #: The exact template version ticked against (immutable).
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_versions.id"))
    #: Zone checked.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    #: Asset checked.
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    #: In progress or done.
    status: Mapped[RunStatus] = enum_column(RunStatus, default=RunStatus.IN_PROGRESS)
    #: Who started it.
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was started.
    started_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: When it was finished.
    finished_dt: Mapped[dt.datetime | None]
    #: Who finished it.
    finished_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Started by scanning the asset's QR label.
    is_qr_verified: Mapped[bool] = mapped_column(default=False)

    version: Mapped[ChecklistVersion] = relationship()
    schedule: Mapped[Schedule | None] = relationship()
    zone: Mapped[Zone | None] = relationship()  # noqa: F821
    asset: Mapped[Asset | None] = relationship()
    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id])  # noqa: F821
    finished_by: Mapped[User | None] = relationship(foreign_keys=[finished_by_id])  # noqa: F821
    answers: Mapped[list[Answer]] = relationship(back_populates="run", order_by="Answer.id")

    @property
    def is_done(self) -> bool:
        return self.status == RunStatus.DONE


class Photo(db.Model):
    """A photo from a phone, re-encoded on the server (EXIF and location stripped)."""

    __tablename__ = "inspection_photos"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: File name inside the instance folder's photos/<school_id>/.
    filename: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: Stored size in bytes.
    size: Mapped[int]
    #: Pixel width after resizing.
    width: Mapped[int]
    #: Pixel height after resizing.
    height: Mapped[int]
    #: Who took it.
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was stored.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)


class Answer(db.Model):
    """The answer to one item of a run (the latest tick wins; a resent tick is stored once)."""

    __tablename__ = "inspection_answers"
    __table_args__ = (sa.UniqueConstraint("run_id", "item_id"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The run.
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection_runs.id", ondelete="CASCADE"), index=True)
    #: Item id within the template version.
    item_id: Mapped[str] = mapped_column(sa.String(64))
    #: Pass, fail or N/A.
    result: Mapped[Result] = enum_column(Result)
    #: What was wrong (required on fail).
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Photo of the failure.
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_photos.id", ondelete="SET NULL"))
    #: The phone's own id for this tick; the same id again changes nothing.
    client_uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    #: Who ticked.
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was ticked (last change).
    answered_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    run: Mapped[Run] = relationship(back_populates="answers")
    photo: Mapped[Photo | None] = relationship()


class CorrectiveAction(db.Model):
    """A deficiency someone owns until it is fixed and verified."""

    __tablename__ = "corrective_actions"
    __table_args__ = (sa.UniqueConstraint("answer_id"),)

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: What is wrong, short.
    title: Mapped[str] = mapped_column(sa.String(200))
    #: More detail.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Critical, major or minor.
    severity: Mapped[Severity] = enum_column(Severity)
    #: Area of responsibility (sets the default assignee).
    area: Mapped[Area] = enum_column(Area)
    #: Where.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    #: Which asset, if any.
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    #: The run it came from.
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_runs.id", ondelete="SET NULL"))
    #: The failed answer it came from (one action per failed answer).
    answer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_answers.id", ondelete="SET NULL"))
    #: failed_item, hazard or other.
    source: Mapped[ActionSource] = enum_column(ActionSource)
    #: open → in_progress → fixed → verified.
    status: Mapped[ActionStatus] = enum_column(ActionStatus, default=ActionStatus.OPEN, index=True)
    #: Who must fix it.
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: Who reported it.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was reported.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)
    #: To be fixed by (school-local date), by severity.
    due_on: Mapped[dt.date]
    #: Photo of the problem.
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_photos.id", ondelete="SET NULL"))
    #: Photo after the fix.
    fixed_photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_photos.id", ondelete="SET NULL"))
    #: When it was marked fixed.
    fixed_dt: Mapped[dt.datetime | None]
    #: When it was verified.
    verified_dt: Mapped[dt.datetime | None]
    #: Who verified it.
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The phone's id of a hazard report, so a resent report is stored once.
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36), unique=True)

    zone: Mapped[Zone | None] = relationship()  # noqa: F821
    asset: Mapped[Asset | None] = relationship()
    run: Mapped[Run | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])  # noqa: F821
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])  # noqa: F821
    comments: Mapped[list[ActionComment]] = relationship(back_populates="action", order_by="ActionComment.id")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ActionComment(db.Model):
    """A comment on a corrective action (also records status changes)."""

    __tablename__ = "corrective_action_comments"

    id: Mapped[intpk]
    #: Owning school.
    school_id: Mapped[int] = school_fk()
    #: The action.
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("corrective_actions.id", ondelete="CASCADE"), index=True)
    #: Who wrote it.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The text.
    text: Mapped[str] = mapped_column(sa.String(1000))
    #: Status set with this comment, if any.
    new_status: Mapped[str] = mapped_column(sa.String(20), default="")
    #: When.
    created_dt: Mapped[dt.datetime] = mapped_column(default=now_utc)

    action: Mapped[CorrectiveAction] = relationship(back_populates="comments")
    user: Mapped[User | None] = relationship()  # noqa: F821
