"""The transactional outbox: other areas call `register_text` once and `notify` in their transaction.

    from safetyops.notifications.outbox import notify, register_text
    register_text("inspections.overdue", _l("%(check)s is overdue since %(time)s. SafetyOps"))
    notify(school, [user], "inspections.overdue", f"{run.id}:{due:%Y%m%d%H%M}", {"check": "Fire", "time": "09:00"})
    db.session.commit()   # the caller commits; the dispatcher sends after the commit

One row per recipient, idempotency key ``kind:key:user_id``: the same key again queues
nothing, whatever the code path or process. The text is rendered in the recipient's
language. Blocked rows (no phone, opted out, channel "none") are written too, so the
director sees who was not reached and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from ..config import LANGUAGES
from ..extensions import db
from ..scoping import cross_school
from ..time import now_utc
from .latin import to_latin
from .models import BlockReason, Channel, MessageStatus, NotificationPreference, OutboundMessage, PhoneOptOut
from .routes import latin_for
from .telegram_models import route

__all__ = ["notify", "register_text", "render", "sms_name", "texts", "wake_event", "queue_raw"]

_TEXTS: dict[str, object] = {}
_SAMPLES: dict[str, dict] = {}

#: Set after a commit that queued messages; the dispatcher thread waits on it.
wake_event = threading.Event()

DEFAULT_EXPIRE_HOURS = 24
#: The same person is not sent the same subject twice inside this window (non-urgent messages).
DEFAULT_DEDUP_WINDOW_MIN = 60
#: Non-urgent messages wait this long after queueing, so that reminders falling due together for one
#: person (queued by different sweeps a few seconds apart) go out as one message.
DEFAULT_MERGE_HOLD_S = 60


def text_subject(body: str) -> str:
    """The default subject of a message: its text (two messages with the same words are one event)."""
    return "text:" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


@cross_school("one message per person, whichever of their schools sent it")
def recent_subjects(user_ids, subjects, since: dt.datetime) -> set[tuple[int, str]]:
    """(person, subject) pairs already queued since `since`."""
    if not user_ids or not subjects:
        return set()
    return {tuple(r) for r in db.session.execute(
        sa.select(OutboundMessage.user_id, OutboundMessage.subject)
        .where(OutboundMessage.user_id.in_(list(user_ids)), OutboundMessage.subject.in_(list(subjects)),
               OutboundMessage.created_dt >= since))}


def register_text(kind: str, text, sample: dict | None = None) -> None:
    """Register the SMS template of a message kind (a lazy_gettext string with %(name)s placeholders).

    `sample`: realistic, longest-likely parameters; tests/notifications/test_texts.py renders every
    text with them in every language and fails when one does not fit one SMS (70 UCS-2 units)."""
    if not kind or len(kind) > 60:
        raise ValueError("kind must be 1..60 characters")
    _TEXTS[kind] = text
    if sample is not None:
        _SAMPLES[kind] = dict(sample)


def texts() -> dict[str, object]:
    """Every registered kind -> its lazy text (for tests and the rules page)."""
    return dict(_TEXTS)


def samples() -> dict[str, dict]:
    return dict(_SAMPLES)


def render(kind: str, params: dict, locale: str) -> str:
    """The text of `kind` in `locale` with `params` filled in."""
    try:
        text = _TEXTS[kind]
    except KeyError:
        raise ValueError(f"no SMS text registered for {kind!r}") from None
    with force_locale(locale):
        template = str(text)
        try:
            return template % params if params or "%(" in template else template
        except KeyError as err:
            raise ValueError(f"SMS text {kind!r} needs parameter {err.args[0]!r}") from None


_KK_LETTERS = frozenset("әғқұһіӘҒҚҰҺІ")
_KY_LETTERS = frozenset("өүңӨҮҢ")


def _label_language(part: str) -> str:
    """The language a part of a bilingual label ("Күндүзгү күзөт / Охрана днём") is written in."""
    letters = [c for c in part if c.isalpha()]
    if letters and all(c.isascii() for c in letters):
        return "en"
    if any(c in _KK_LETTERS for c in part):
        return "kk"
    if any(c in _KY_LETTERS for c in part):
        return "ky"
    return "ru"


def pick_language(label: str, locale: str) -> str:
    """The reader's part of a label written in several languages separated by " / "."""
    parts = [p.strip() for p in (label or "").split(" / ") if p.strip()]
    if len(parts) < 2:
        return (label or "").strip()
    langs = [_label_language(p) for p in parts]
    if locale in langs:
        return parts[langs.index(locale)]
    # a Kazakh reader of a Kyrgyz/Russian label reads the Turkic part, and the other way round
    kin = {"ky": ("kk",), "kk": ("ky",), "en": ("ru",)}.get(locale, ())
    for lang in kin:
        if lang in langs:
            return parts[langs.index(lang)]
    return parts[0]


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary with "…" (a single word longer
    than the limit is cut inside)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rstrip(" ,.;:-–—/(«\"")
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space].rstrip(" ,.;:-–—/(«\"")
    return cut + "…"


class SmsName:
    """A name (post, zone, checklist) to put in an SMS: rendered in the reader's language part of a
    bilingual label and shortened at a word boundary. `notify` renders each recipient's text under
    their locale, so ``%(post)s`` becomes the right part for each one."""

    __slots__ = ("label", "limit")

    def __init__(self, label: str, limit: int) -> None:
        self.label = label or ""
        self.limit = limit

    def for_locale(self, locale: str) -> str:
        return shorten(pick_language(self.label, locale), self.limit)

    def __str__(self) -> str:
        from flask_babel import get_locale

        loc = get_locale()
        return self.for_locale(loc.language if loc is not None else "ky")

    def __repr__(self) -> str:
        return f"SmsName({self.label!r}, {self.limit})"


def sms_name(label: str, limit: int) -> SmsName:
    """See SmsName: ``notify(..., {"post": sms_name(post.name, 22)})``."""
    return SmsName(label, limit)


def user_locale(user, school) -> str:
    if getattr(user, "locale", None) in LANGUAGES:
        return user.locale
    if school is not None and school.default_locale in LANGUAGES:
        return school.default_locale
    return current_app.config["DEFAULT_LOCALE"]


def preferences_for(user_ids: Iterable[int]) -> dict[int, NotificationPreference]:
    ids = list({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(NotificationPreference).where(NotificationPreference.user_id.in_(ids)))
    return {p.user_id: p for p in rows}


def opted_out(phones: Iterable[str]) -> set[str]:
    phones = list({p for p in phones if p})
    if not phones:
        return set()
    return set(db.session.scalars(sa.select(PhoneOptOut.phone).where(PhoneOptOut.phone.in_(phones))))


@cross_school("idempotency keys are unique across schools")
def notify(school, recipients, kind: str, key: str, params: dict, *, urgent: bool = False,
           expires_dt: dt.datetime | None = None, send_after_dt: dt.datetime | None = None,
           subject: str | None = None, latin: bool | None = None) -> list:
    """Queue one message per recipient in the current transaction; returns the rows queued now.

    Same kind+key+recipient again queues nothing. The caller commits.

    One message per person per event: a non-urgent message whose `subject` (default: its text) the
    same person was already queued inside SMS_DEDUP_WINDOW_MIN is written ``blocked`` (duplicate) and
    not sent. Non-urgent messages wait SMS_MERGE_HOLD_S so that the dispatcher can merge the ones
    due together for one person. Urgent messages are never held, merged or deduplicated.

    Latin letters (`latin.to_latin`, GSM-7: 160 characters per SMS instead of 70): non-urgent texts of a
    school that chose them (`routes.SmsRoute.latin`); urgent alerts never, unless the caller asks
    (`latin=True`: the director's broadcast with "Send in Latin letters" ticked). Only SMS rows are
    transliterated: a Telegram row (free per part) keeps the text as written and is marked `is_latin`,
    so the SMS that may follow it goes in Latin letters. The subject is the text as written.
    """
    if kind not in _TEXTS:
        raise ValueError(f"no SMS text registered for {kind!r}")
    users = {}
    for user in recipients or ():
        if user is not None and user.id is not None:
            users.setdefault(user.id, user)
    if not users:
        return []
    keys = {uid: f"{kind}:{key}:{uid}" for uid in users}
    existing = set(db.session.scalars(
        sa.select(OutboundMessage.idempotency_key).where(OutboundMessage.idempotency_key.in_(list(keys.values())))))
    todo = [uid for uid in users if keys[uid] not in existing]
    if not todo:
        return []
    prefs = preferences_for(todo)
    stopped = opted_out(users[uid].phone for uid in todo)
    now = now_utc()
    expires = expires_dt or now + dt.timedelta(
        hours=current_app.config.get("SMS_EXPIRE_HOURS", DEFAULT_EXPIRE_HOURS))
    cfg = current_app.config
    rendered: dict[str, str] = {}
    locales = {}
    if latin is None:
        latin = not urgent and latin_for(getattr(school, "id", None))
    for uid in todo:
        locales[uid] = user_locale(users[uid], school)
        if locales[uid] not in rendered:
            rendered[locales[uid]] = render(kind, params, locales[uid])
    subjects = {uid: (subject or text_subject(rendered[locales[uid]]))[:160] for uid in todo}
    seen: set[tuple[int, str]] = set()
    if not urgent:
        window = dt.timedelta(minutes=float(cfg.get("SMS_DEDUP_WINDOW_MIN", DEFAULT_DEDUP_WINDOW_MIN)))
        if window > dt.timedelta(0):  # 0 turns the rule off
            seen = recent_subjects(todo, set(subjects.values()), now - window)
        if send_after_dt is None:
            send_after_dt = now + dt.timedelta(seconds=float(cfg.get("SMS_MERGE_HOLD_S", DEFAULT_MERGE_HOLD_S)))
    rows = []
    for uid in todo:
        user = users[uid]
        locale = locales[uid]
        pref = prefs.get(uid)
        channel = pref.channel if pref is not None else Channel.SMS
        reason = None
        if not user.is_enabled:
            reason = BlockReason.DISABLED
        elif channel == Channel.NONE:
            reason = BlockReason.CHANNEL_NONE
        elif not user.phone:
            reason = BlockReason.NO_PHONE
        elif user.phone in stopped:
            reason = BlockReason.OPTED_OUT
        elif (uid, subjects[uid]) in seen:
            reason = BlockReason.DUPLICATE
        rows.append({
            "school_id": getattr(school, "id", None),
            "user_id": uid,
            "kind": kind,
            "idempotency_key": keys[uid],
            "to_phone": user.phone or "",
            "channel": channel,
            "locale": locale,
            "body": rendered[locale],
            "status": MessageStatus.BLOCKED if reason else MessageStatus.QUEUED,
            "blocked_reason": reason,
            "is_urgent": bool(urgent),
            "is_latin": bool(latin),
            "attempts": 0,
            "next_attempt_dt": send_after_dt,
            "expires_dt": expires,
            "created_dt": now,
            "status_dt": now,
            "gateway": "",
            "provider_status": "",
            "error_code": "",
            "error_message": "",
            "subject": subjects[uid],
        })
    # linked people get it by Telegram (free), SMS following when it fails (issue 16)
    rows = route(rows, prefs, urgent=bool(urgent), enabled=bool(cfg.get("TELEGRAM_BOT_TOKEN")))
    if latin:  # SMS rows only: Telegram keeps the text as written
        latin_of = {text: to_latin(text) for text in rendered.values()}
        for row in rows:
            if row["channel"] != Channel.TELEGRAM:
                row["body"] = latin_of[row["body"]]
    return insert_rows(rows)


def queue_raw(school, user, to_phone: str, body: str, *, kind: str = "test", key: str,
              channel: Channel = Channel.SMS, urgent: bool = True) -> OutboundMessage | None:
    """Queue a literal text to a number (the `sms send` command). None when the key exists."""
    now = now_utc()
    stopped = opted_out([to_phone])
    rows = insert_rows([{
        "school_id": getattr(school, "id", None), "user_id": getattr(user, "id", None), "kind": kind,
        "idempotency_key": f"{kind}:{key}", "to_phone": to_phone, "channel": channel,
        "locale": getattr(user, "locale", None) or current_app.config["DEFAULT_LOCALE"], "body": body,
        "status": MessageStatus.BLOCKED if to_phone in stopped else MessageStatus.QUEUED,
        "blocked_reason": BlockReason.OPTED_OUT if to_phone in stopped else None,
        "is_urgent": urgent, "attempts": 0, "next_attempt_dt": None,
        "expires_dt": now + dt.timedelta(hours=1), "created_dt": now, "status_dt": now, "gateway": "",
        "provider_status": "", "error_code": "", "error_message": "", "subject": "",
    }])
    return rows[0] if rows else None


@cross_school("rows just inserted, read back by id")
def insert_rows(rows: list[dict]) -> list[OutboundMessage]:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING: a concurrent transaction that queued
    the same key first wins, and this one carries on without an error."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other databases: plain insert, the unique key still protects
        insert = sa.insert
    stmt = insert(OutboundMessage)
    if dialect in ("postgresql", "sqlite"):
        stmt = stmt.on_conflict_do_nothing(index_elements=["idempotency_key"])
    ids = list(db.session.scalars(stmt.returning(OutboundMessage.id), rows))
    if not ids:
        return []
    db.session.info["outbox_queued"] = True
    return list(db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.id.in_(ids))
                                   .order_by(OutboundMessage.id)))


@sa.event.listens_for(Session, "after_commit")
def _wake_after_commit(session) -> None:
    if session.info.pop("outbox_queued", False):
        wake_event.set()


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop("outbox_queued", None)
