"""Services of the messages area: preferences, broadcast, phone flags, rules, provider webhooks."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import Role
from ..errors_service import ServiceError
from ..extensions import db
from ..schools.models import Membership, School
from ..time import now_utc
from . import budget, routes, segments
from .latin import to_latin
from .models import (
    SMS_CHANNELS,
    Channel,
    MessageStatus,
    NotificationPreference,
    OutboundMessage,
    PhoneFlag,
    PhoneOptOut,
    SchoolRule,
    TelegramMode,
)
from .outbox import notify, register_text
from .outcomes import apply_provider_status, record_opt_out, resolve_by_callback
from .telegram_models import chats_for

BROADCAST = "broadcast"


def register_texts() -> None:
    """Give the outbox this area's texts (idempotent): a broadcast is the director's own words, sent as
    typed, not translated."""
    register_text(BROADCAST, "%(text)s")

# ------------------------------------------------------------------ preferences


def preference(user) -> NotificationPreference:
    """The person's preference row (a default one, not added, when none is stored)."""
    pref = db.session.scalar(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    return pref or NotificationPreference(user_id=user.id, channel=Channel.SMS)


def save_preference(actor: User | None, school: School, user, *, channel: str, quiet_start: dt.time | None,
                    quiet_end: dt.time | None, telegram_mode: str | None = None) -> NotificationPreference:
    if (quiet_start is None) != (quiet_end is None):
        raise ServiceError(_("Give both the start and the end of quiet hours, or neither."), "quiet_end")
    if quiet_start is not None and quiet_start == quiet_end:
        raise ServiceError(_("Quiet hours must end at another time than they start."), "quiet_end")
    if channel not in {c.value for c in SMS_CHANNELS}:
        raise ServiceError(_("Choose how to receive messages."), "channel")
    if telegram_mode is not None and telegram_mode not in {m.value for m in TelegramMode}:
        raise ServiceError(_("Choose how to receive messages."), "telegram_mode")
    linked = bool(chats_for([user.id]))
    if channel != Channel.NONE and not user.phone and not linked:
        raise ServiceError(_("Add your mobile number in your profile first."), "channel")
    pref = db.session.scalar(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    if pref is None:
        pref = NotificationPreference(user_id=user.id)
        db.session.add(pref)
    pref.channel = Channel(channel)
    pref.quiet_start = quiet_start
    pref.quiet_end = quiet_end
    if telegram_mode is not None:
        pref.telegram_mode = TelegramMode(telegram_mode)
    pref.updated_dt = now_utc()
    db.session.flush()
    record(actor, school, "messages.preferences", pref, detail=f"channel={channel}")
    return pref


# ------------------------------------------------------------------ broadcast

BROADCAST_MAX_SEGMENTS = 3
AUDIENCE_ALL = "all"


def audience(school: School, who: str) -> list[User]:
    """Enabled staff of the school: everyone, or one role."""
    q = (sa.select(User).join(Membership, Membership.user_id == User.id)
         .where(Membership.school_id == school.id, User.is_enabled.is_(True)).order_by(User.full_name))
    if who != AUDIENCE_ALL:
        if who not in {r.value for r in Role}:
            raise ServiceError(_("Choose who receives the message."), "audience")
        q = q.where(Membership.role == Role(who))
    return list(db.session.scalars(q))


@dataclass
class BroadcastPreview:
    text: str
    info: segments.SegmentInfo
    recipients: int
    reachable: int
    #: What it will cost in som (0 when no price per SMS part is set).
    cost: float = 0.0
    #: This month's budget status of the school.
    month: MonthBudget | None = None
    #: The text in Latin letters and its count (None when the text is Latin already), what it would cost,
    #: and whether the school sends its reminders that way (then "Send in Latin letters" starts ticked).
    latin_text: str = ""
    latin_info: segments.SegmentInfo | None = None
    latin_cost: float = 0.0
    school_latin: bool = False

    @property
    def latin_saving(self) -> int:
        """SMS parts saved in total by sending it in Latin letters."""
        if self.latin_info is None:
            return 0
        return self.reachable * (self.info.segments - self.latin_info.segments)


def preview_broadcast(school: School, who: str, text: str) -> BroadcastPreview:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write the message."), "text")
    info = segments.count(text)
    if info.segments > BROADCAST_MAX_SEGMENTS:
        raise ServiceError(_("Too long: %(n)s SMS parts. Keep it to %(max)s.", n=info.segments,
                             max=BROADCAST_MAX_SEGMENTS), "text")
    people = audience(school, who)
    if not people:
        raise ServiceError(_("Nobody to send to."), "audience")
    stopped = set(db.session.scalars(sa.select(PhoneOptOut.phone)
                                     .where(PhoneOptOut.phone.in_([p.phone for p in people if p.phone]))))
    none = set(db.session.scalars(sa.select(NotificationPreference.user_id).where(
        NotificationPreference.user_id.in_([p.id for p in people]),
        NotificationPreference.channel == Channel.NONE)))
    reachable = sum(1 for p in people if p.phone and p.phone not in stopped and p.id not in none)
    prev = BroadcastPreview(text, info, len(people), reachable, budget.cost(reachable * info.segments),
                            month_budget(school), school_latin=routes.latin_for(school.id))
    if not segments.is_gsm7(text):
        prev.latin_text = to_latin(text)
        prev.latin_info = segments.count(prev.latin_text)
        prev.latin_cost = budget.cost(reachable * prev.latin_info.segments)
    return prev


def send_broadcast(actor: User | None, school: School, who: str, text: str, token: str,
                   latin: bool = False) -> list[OutboundMessage]:
    """Queue the broadcast (once per token: a double tap sends nothing twice); in Latin letters when the
    director ticked it."""
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        raise ServiceError(_("This form has expired. Please try again."))
    prev = preview_broadcast(school, who, text)
    msgs = notify(school, audience(school, who), BROADCAST, f"{school.id}:{token}", {"text": prev.text},
                  urgent=True, latin=bool(latin))
    record(actor, school, "messages.broadcast",
           detail=f"to={who} n={len(msgs)} token={token}" + (" latin" if latin else ""))
    return msgs


def broadcast_progress(school: School, token: str) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OutboundMessage.status, sa.func.count(OutboundMessage.id))
        .where(OutboundMessage.school_id == school.id, OutboundMessage.kind == BROADCAST,
               OutboundMessage.idempotency_key.like(f"{BROADCAST}:{school.id}:{token}:%"))
        .group_by(OutboundMessage.status)).all()
    return {MessageStatus(s).value: n for s, n in rows}


# ------------------------------------------------------------------ budget


@dataclass
class MonthBudget:
    parts: int
    spent: float
    budget: int
    forecast: float
    price: float

    @property
    def share(self) -> float:
        return self.spent / self.budget if self.budget else 0.0

    @property
    def warning(self) -> bool:
        return bool(self.budget) and self.share >= budget.WARN_SHARE

    @property
    def spent_out(self) -> bool:
        return bool(self.budget) and self.spent >= self.budget


def month_budget(school: School, now: dt.datetime | None = None) -> MonthBudget:
    """This month's SMS parts and som, the budget, and a forecast for the whole month at this pace."""
    import calendar
    from zoneinfo import ZoneInfo

    now = now or now_utc()
    parts = budget.month_parts(school.id, school.timezone, now)
    spent = budget.cost(parts)
    local = now.astimezone(ZoneInfo(school.timezone))
    days = calendar.monthrange(local.year, local.month)[1]
    elapsed = max((now - budget.month_start(school.timezone, now)).total_seconds() / 86400, 1.0)
    return MonthBudget(parts, spent, budget.monthly_budget(school.id), round(spent / elapsed * days, 2),
                       budget.price_per_segment())


def save_budget(actor: User | None, school: School, monthly_som: int) -> None:
    if monthly_som is None or not 0 <= monthly_som <= 100_000_000:
        raise ServiceError(_("Give the budget in som (0 for no limit)."), "monthly_som")
    from .models import SmsBudget

    row = db.session.scalar(sa.select(SmsBudget).where(SmsBudget.school_id == school.id))
    if row is None:
        row = SmsBudget(school_id=school.id)
        db.session.add(row)
    row.monthly_som, row.updated_dt = monthly_som, now_utc()
    db.session.flush()
    record(actor, school, "messages.budget", row, detail=f"monthly_som={monthly_som}")


def save_route(actor: User | None, school: School, gateway: str, latin: bool, settings) -> None:
    """The school's SMS route (where its SMS travel) and Latin letters for its reminders."""
    if gateway not in routes.ROUTES:
        raise ServiceError(_("Choose how SMS are sent."), "gateway")
    if gateway and not routes.configured(gateway, settings):
        raise ServiceError(_("This route is not set up on the server yet: ask the administrator."), "gateway")
    row = routes.save_route(school.id, gateway, latin)
    db.session.flush()
    record(actor, school, "messages.route", row, detail=f"gateway={gateway or 'default'} latin={bool(latin)}")


# ------------------------------------------------------------------ log


def log_query(school: School, *, status: str = "", kind: str = "", q: str = "", before_id: int | None = None):
    stmt = (sa.select(OutboundMessage, User.full_name).outerjoin(User, User.id == OutboundMessage.user_id)
            .where(OutboundMessage.school_id == school.id))
    if status:
        stmt = stmt.where(OutboundMessage.status == MessageStatus(status))
    if kind:
        stmt = stmt.where(OutboundMessage.kind == kind)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(User.full_name.ilike(like), OutboundMessage.to_phone.like(like)))
    if before_id:
        stmt = stmt.where(OutboundMessage.id < before_id)
    return stmt.order_by(OutboundMessage.id.desc())


def fallbacks(school, message_ids) -> dict[int, OutboundMessage]:
    """Telegram message id -> the SMS that followed it (the log's fallback chain)."""
    ids = list(message_ids)
    if not ids:
        return {}
    return {m.fallback_of_id: m for m in db.session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.school_id == school.id,
                                      OutboundMessage.fallback_of_id.in_(ids)))}


def status_counts(school: School, since: dt.datetime) -> dict[str, int]:
    rows = db.session.execute(sa.select(OutboundMessage.status, sa.func.count(OutboundMessage.id))
                              .where(OutboundMessage.school_id == school.id, OutboundMessage.created_dt >= since)
                              .group_by(OutboundMessage.status)).all()
    return {MessageStatus(s).value: n for s, n in rows}


def resend(actor: User | None, school: School, msg: OutboundMessage, *, confirmed: bool = False) -> OutboundMessage:
    """A person decided to send a message again (after unknown, failed or expired).

    An unknown message whose answer was lost (timeout, dropped answer) most likely reached the
    provider: it is sent again only when the person confirms they want a second copy."""
    if msg.status not in (MessageStatus.UNKNOWN, MessageStatus.FAILED, MessageStatus.EXPIRED,
                          MessageStatus.UNDELIVERED):
        raise ServiceError(_("Only a message that was not delivered can be sent again."))
    if msg.unknown_case == "accepted" and not confirmed:
        raise ServiceError(_("The provider most likely received this message; its answer was lost. "
                             "Sending again would probably deliver it twice. Tick the box to send it anyway."),
                           "confirm")
    if msg.user is None or not msg.user.phone:
        raise ServiceError(_("This person has no phone number."))
    n = db.session.scalar(sa.select(sa.func.count(OutboundMessage.id))
                          .where(OutboundMessage.school_id == school.id,
                                 OutboundMessage.idempotency_key.like(f"resend:{msg.id}:%")))
    copy = OutboundMessage(school_id=school.id, user_id=msg.user_id, kind=msg.kind,
                           idempotency_key=f"resend:{msg.id}:{n + 1}", to_phone=msg.user.phone, channel=msg.channel,
                           locale=msg.locale, body=msg.body, status=MessageStatus.QUEUED, is_urgent=msg.is_urgent,
                           is_latin=msg.is_latin,
                           expires_dt=now_utc() + dt.timedelta(hours=6))
    db.session.add(copy)
    db.session.flush()
    db.session.info["outbox_queued"] = True
    record(actor, school, "messages.resend", copy, detail=f"of={msg.id}")
    return copy


# ------------------------------------------------------------------ phones


def phone_problems(school: School):
    """Flags (unresolved first) and opt-outs of this school's staff."""
    members = sa.select(Membership.user_id).where(Membership.school_id == school.id)
    flags = list(db.session.scalars(sa.select(PhoneFlag).where(PhoneFlag.user_id.in_(members))
                                    .order_by(PhoneFlag.is_resolved, PhoneFlag.flagged_dt.desc())))
    stopped = db.session.execute(
        sa.select(PhoneOptOut, User).join(User, User.phone == PhoneOptOut.phone)
        .where(User.id.in_(members)).order_by(PhoneOptOut.created_dt.desc())).all()
    return flags, stopped


def resolve_flag(actor: User | None, school: School, flag: PhoneFlag) -> None:
    flag.is_resolved = True
    record(actor, school, "messages.flag_resolved", flag)


def open_flag_count(school: School) -> int:
    members = sa.select(Membership.user_id).where(Membership.school_id == school.id)
    return db.session.scalar(sa.select(sa.func.count(PhoneFlag.id)).where(
        PhoneFlag.user_id.in_(members), PhoneFlag.is_resolved.is_(False))) or 0


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class Rule:
    kind: str
    label: object
    at_time: dt.time | None = None
    minutes: int | None = None
    minutes_label: object = None


RULES: dict[str, Rule] = {}


def register_rule(kind: str, label, *, at_time: dt.time | None = None, minutes: int | None = None,
                  minutes_label=None) -> None:
    """A reminder rule a school may switch off or re-time (its sweep asks `rule_for`)."""
    RULES[kind] = Rule(kind, label, at_time, minutes, minutes_label)


@dataclass(frozen=True)
class RuleSetting:
    is_enabled: bool
    at_time: dt.time | None
    minutes: int | None


def rule_for(school: School, kind: str) -> RuleSetting:
    """This school's setting of a rule (the rule's defaults when it changed nothing)."""
    base = RULES.get(kind, Rule(kind, kind))
    row = db.session.scalar(sa.select(SchoolRule).where(SchoolRule.school_id == school.id, SchoolRule.kind == kind))
    if row is None:
        return RuleSetting(True, base.at_time, base.minutes)
    return RuleSetting(row.is_enabled, row.at_time or base.at_time,
                       row.minutes if row.minutes is not None else base.minutes)


def save_rule(actor: User | None, school: School, kind: str, *, is_enabled: bool, at_time: dt.time | None,
              minutes: int | None) -> None:
    if kind not in RULES:
        raise ServiceError(_("Unknown rule."))
    if minutes is not None and not 0 <= minutes <= 7 * 24 * 60:
        raise ServiceError(_("Minutes must be between 0 and 10080."), "minutes")
    row = db.session.scalar(sa.select(SchoolRule).where(SchoolRule.school_id == school.id, SchoolRule.kind == kind))
    if row is None:
        row = SchoolRule(school_id=school.id, kind=kind)
        db.session.add(row)
    row.is_enabled, row.at_time, row.minutes = is_enabled, at_time, minutes
    db.session.flush()
    record(actor, school, "messages.rule", row, detail=f"{kind} on={is_enabled} at={at_time} min={minutes}")


# ------------------------------------------------------------------ inbound

#: Whole-message keywords (case-insensitive, punctuation ignored).
STOP_WORDS = frozenset({
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",  # Twilio's English set
    "СТОП", "ОТПИСАТЬСЯ", "ОТПИСКА", "ХВАТИТ",  # Russian
    "ТОКТОТ", "ТОКТО", "ТОКТОТУУ",  # Kyrgyz
    "ТОҚТАТ", "ТОҚТА", "ТОКТАТ", "TOQTAT", "TOQTA",  # Kazakh (Cyrillic, without special letters, Latin)
})
START_WORDS = frozenset({"START", "UNSTOP", "YES", "СТАРТ", "БАШТА", "БАСТА", "BASTA"})

_PUNCT = re.compile(r"[\s.!,;:?\"'«»()-]+")


def keyword(body: str) -> str:
    return _PUNCT.sub(" ", (body or "")).strip().upper()


def bare_number(address: str) -> str:
    address = (address or "").strip()
    return address.split(":", 1)[1] if address.lower().startswith("whatsapp:") else address


def handle_inbound(from_address: str, body: str, now: dt.datetime | None = None) -> str:
    """A message someone sent us: STOP words block the number, START words unblock it.
    Returns "stop", "start" or "" (anything else is ignored)."""
    now = now or now_utc()
    phone = bare_number(from_address)
    word = keyword(body)
    if not phone:
        return ""
    if word in STOP_WORDS:
        record_opt_out(phone, word, now)
        db.session.execute(sa.update(OutboundMessage).where(
            OutboundMessage.to_phone == phone, OutboundMessage.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.BLOCKED, blocked_reason="opted_out", status_dt=now))
        record(None, None, "messages.opt_out", detail=f"{phone} {word}")
        return "stop"
    if word in START_WORDS:
        db.session.execute(sa.delete(PhoneOptOut).where(PhoneOptOut.phone == phone))
        record(None, None, "messages.opt_in", detail=f"{phone} {word}")
        return "start"
    return ""


def handle_status(form, message_id: int | None = None) -> bool:
    """A Twilio status callback's form: apply once, never backwards. `message_id` (the callback URL's
    ``?m=``) resolves a message whose SID was never stored (its create call timed out)."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if message_id:
        resolve_by_callback(message_id, sid, form.get("To") or "")
    return apply_provider_status(sid,
                                 form.get("MessageStatus") or form.get("SmsStatus") or "",
                                 form.get("ErrorCode") or None, form.get("ErrorMessage") or None)


UNKNOWN_HELP = {
    "accepted": _l("Answer lost: the provider most likely received it (a timeout or a dropped answer). "
                   "It is being looked up; check with the person before sending again."),
    "refused": _l("The provider answered with an error (5xx): most likely not sent. It is being looked up."),
}

STATUS_HELP = {
    MessageStatus.UNKNOWN: _l("The provider did not answer in time. Check with the person before sending again."),
    MessageStatus.BLOCKED: _l("Not sent: see the reason."),
}
