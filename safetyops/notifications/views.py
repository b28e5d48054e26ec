"""Message log, broadcast, personal settings, phone problems, rules, and the provider's webhooks."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from enum import StrEnum

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
from flask_login import current_user

from .. import menu
from ..access import get_or_404, public, requires, signed_in
from ..auth.roles import Perm, Role
from ..converters import int_arg
from ..dashboard.cards import Card
from ..extensions import csrf, db
from ..time import now_utc
from ..uow import audit_read, personal_data, step
from . import budget as budget_module
from . import models, outbox, routes, services, telegram  # noqa: F401  (tables and texts exist whenever the app does)
from .forms import BroadcastForm, BudgetForm, PreferenceForm, RouteForm, RuleForm
from .models import BLOCK_LABELS, CHANNEL_LABELS, STATUS_LABELS, MessageStatus, OutboundMessage, PhoneFlag

log = logging.getLogger("safetyops.sms")

bp = Blueprint("notifications", __name__, url_prefix="/messages")


class NotifPerm(StrEnum):
    LOG = "messages.log"  # message log: texts and phone numbers of staff
    BROADCAST = "messages.broadcast"
    RULES = "messages.rules"


#: Who holds each of the area's permissions (granted on the app by the area's `register(app)`).
GRANTS = {
    NotifPerm.LOG: {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY},
    NotifPerm.BROADCAST: {Role.DIRECTOR, Role.ADMIN, Role.DEPUTY},
    NotifPerm.RULES: {Role.DIRECTOR, Role.ADMIN},
}

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    menu.MenuItem(_l("Messages"), "notifications.log", NotifPerm.LOG, 70),
    menu.MenuItem(_l("My SMS settings"), "notifications.settings", Perm.HOME, 97),
)

PAGE = 50


def _labels():
    return {"STATUS_LABELS": STATUS_LABELS, "BLOCK_LABELS": BLOCK_LABELS, "CHANNEL_LABELS": CHANNEL_LABELS}


# ------------------------------------------------------------------ log


@bp.get("/", endpoint="log")
@requires(NotifPerm.LOG)
@personal_data("messages.read_log")
def log_view():
    status = request.args.get("status", "")
    status = status if status in {s.value for s in MessageStatus} else ""
    kinds = sorted(set(db.session.scalars(sa.select(OutboundMessage.kind).where(
        OutboundMessage.school_id == g.school.id).distinct())))
    kind = request.args.get("kind", "")
    kind = kind if kind in kinds else ""
    q = request.args.get("q", "").strip()[:60]
    before = int_arg("before")
    rows = db.session.execute(services.log_query(g.school, status=status, kind=kind, q=q, before_id=before)
                              .limit(PAGE + 1)).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    counts = services.status_counts(g.school, now_utc() - dt.timedelta(days=7))
    audit_read(detail=f"status={status} kind={kind} q={q}")
    return render_template("notifications/log.html", rows=rows, more=more, status=status, kind=kind, kinds=kinds,
                           q=q, counts=counts, flags=services.open_flag_count(g.school),
                           followed=services.fallbacks(g.school, [m.id for m, _n in rows]),
                           statuses=list(MessageStatus), **_labels())


@bp.get("/<int:msg_id>")
@requires(NotifPerm.LOG)
@personal_data("messages.read")
def message(msg_id):
    msg = get_or_404(OutboundMessage, msg_id)
    audit_read(msg)
    return render_template("notifications/message.html", msg=msg, UNKNOWN_HELP=services.UNKNOWN_HELP,
                           followed=services.fallbacks(g.school, [msg.id]), **_labels())


@bp.post("/<int:msg_id>/resend")
@requires(NotifPerm.BROADCAST)
def resend(msg_id):
    msg = get_or_404(OutboundMessage, msg_id)
    with step() as done:
        copy = services.resend(current_user, g.school, msg, confirmed=request.form.get("confirm") == "1")
    if not done:
        return redirect(url_for("notifications.message", msg_id=msg_id))
    flash(_("Queued again."), "success")
    return redirect(url_for("notifications.message", msg_id=copy.id))


# ------------------------------------------------------------------ broadcast


@bp.route("/broadcast", methods=["GET", "POST"])
@requires(NotifPerm.BROADCAST)
def broadcast():
    form = BroadcastForm()
    if request.method == "GET":
        form.token.data = secrets.token_hex(16)
        form.audience.data = "all"
    preview = None
    if request.form.get("edit"):
        pass  # back from the preview: show the form with what was typed
    elif form.validate_on_submit():
        with step(form) as done:
            if form.confirm.data == "1":
                services.send_broadcast(current_user, g.school, form.audience.data, form.text.data, form.token.data,
                                        latin=form.latin.data)
            else:
                preview = services.preview_broadcast(g.school, form.audience.data, form.text.data)
        if done and form.confirm.data == "1":
            return redirect(url_for("notifications.broadcast_progress", bc_token=form.token.data))
    return render_template("notifications/broadcast.html", form=form, preview=preview)


@bp.get("/broadcast/<bc_token>")
@requires(NotifPerm.BROADCAST)
def broadcast_progress(bc_token):
    token = bc_token
    if len(token) != 32 or not all(c in "0123456789abcdef" for c in token):
        abort(404)
    counts = services.broadcast_progress(g.school, token)
    if not counts:
        abort(404)
    total = sum(counts.values())
    pending = counts.get("queued", 0) + counts.get("sending", 0)
    return render_template("notifications/broadcast_progress.html", counts=counts, total=total, pending=pending,
                           token=token, **_labels())


# ------------------------------------------------------------------ my settings


@bp.route("/settings", methods=["GET", "POST"])
@signed_in
def settings():
    pref = services.preference(current_user)
    form = PreferenceForm(obj=pref)
    link = telegram.link_of(current_user)
    tg_on = telegram.enabled()
    if request.method == "GET":
        form.channel.data = pref.channel.value
        form.telegram_mode.data = telegram.effective_mode(pref, True).value
    if form.validate_on_submit():
        with step(form) as done:
            services.save_preference(current_user, g.school, current_user, channel=form.channel.data,
                                     quiet_start=form.quiet_start.data, quiet_end=form.quiet_end.data,
                                     telegram_mode=(form.telegram_mode.data or None) if link is not None else None)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("notifications.settings"))
    token = session.get(TG_SESSION_KEY)
    deep_link = telegram.deep_link(token) if tg_on and link is None and telegram.pending_token(
        current_user, token) else None
    return render_template("notifications/settings.html", form=form, tg_on=tg_on, tg_link=link,
                           deep_link=deep_link)


#: The person's pending deep-link token, kept in their own session only (the database has its hash).
TG_SESSION_KEY = "tg_link_token"


@bp.post("/telegram/link")
@signed_in
def telegram_link():
    with step() as done:
        token = telegram.start_link(current_user, g.get("school"), current_user)
    if done:
        session[TG_SESSION_KEY] = token
    return redirect(url_for("notifications.settings") + "#telegram")


@bp.post("/telegram/unlink")
@signed_in
def telegram_unlink():
    with step() as done:
        gone = telegram.unlink(current_user, g.get("school"), current_user)
    if done and gone:
        flash(_("Telegram unlinked: messages come by SMS again."), "success")
    session.pop(TG_SESSION_KEY, None)
    return redirect(url_for("notifications.settings"))


@bp.post("/telegram/webhook")
@public
@csrf.exempt  # Telegram cannot send our CSRF token: it sends the webhook's secret token header instead
def telegram_webhook():
    if not telegram.enabled() or not telegram.secret_ok(request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
        abort(403)
    payload = request.get_json(silent=True)
    update = telegram.parse_update(payload) if isinstance(payload, dict) else None
    reply = telegram.handle_update(update) if update is not None else None
    # the answer to a webhook may carry one Bot API call: no outbound request from here
    return jsonify(reply.as_webhook_answer()) if reply is not None else Response("", 200)


# ------------------------------------------------------------------ phones


@bp.get("/phones")
@requires(NotifPerm.LOG)
@personal_data("messages.read_phones")
def phones():
    flags, stopped = services.phone_problems(g.school)
    return render_template("notifications/phones.html", flags=flags, stopped=stopped)


@bp.post("/phones/<int:flag_id>/resolve")
@requires(NotifPerm.BROADCAST)
def resolve_flag(flag_id):
    from ..schools.models import Membership

    flag = db.session.scalar(sa.select(PhoneFlag).join(Membership, Membership.user_id == PhoneFlag.user_id)
                             .where(PhoneFlag.id == flag_id, Membership.school_id == g.school.id))
    if flag is None:
        abort(404)
    services.resolve_flag(current_user, g.school, flag)
    flash(_("Marked as handled."), "success")
    return redirect(url_for("notifications.phones"))


# ------------------------------------------------------------------ rules


@bp.route("/rules", methods=["GET", "POST"])
@requires(NotifPerm.RULES)
def rules():
    kind = request.form.get("kind", "")
    form = RuleForm()
    if request.method == "POST" and form.validate_on_submit():
        with step() as done:
            services.save_rule(current_user, g.school, kind, is_enabled=form.is_enabled.data,
                               at_time=form.at_time.data, minutes=form.minutes.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("notifications.rules"))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    items = [(rule, services.rule_for(g.school, k)) for k, rule in sorted(services.RULES.items())]
    return render_template("notifications/rules.html", items=items, form=form)


# ------------------------------------------------------------------ budget


@bp.route("/budget", methods=["GET", "POST"])
@requires(NotifPerm.RULES)
def budget():
    month = services.month_budget(g.school)
    form = BudgetForm()
    if request.method == "GET":
        form.monthly_som.data = month.budget
    if form.validate_on_submit():
        with step(form) as done:
            services.save_budget(current_user, g.school, form.monthly_som.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("notifications.budget"))
    return render_template("notifications/budget.html", form=form, month=month)


@bp.route("/route", methods=["GET", "POST"])
@requires(NotifPerm.RULES)
def sms_route():
    row = routes.route_of(g.school.id)
    form = RouteForm()
    if request.method == "GET":
        form.gateway.data = row.gateway if row is not None else ""
        form.latin.data = bool(row is not None and row.latin)
    if form.validate_on_submit():
        with step(form) as done:
            services.save_route(current_user, g.school, form.gateway.data, form.latin.data, current_app.config)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("notifications.sms_route"))
    cfg = current_app.config
    return render_template("notifications/route.html", form=form, default=str(cfg["SMS_GATEWAY"]).lower(),
                           smpp_host=cfg.get("SMPP_HOST") or "")


# ------------------------------------------------------------------ provider webhooks


def _signed() -> bool:
    """X-Twilio-Signature over the public URL Twilio called and the POST fields."""
    from twilio.request_validator import RequestValidator, get_signature_algorithm

    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    url = base + request.full_path.rstrip("?") if base else request.url
    try:
        algorithm = get_signature_algorithm(request.headers)
    except Exception:  # noqa: BLE001
        algorithm = None
    return RequestValidator(token).validate(url, request.form, signature, algorithm)


@bp.post("/twilio/status")
@public
@csrf.exempt  # Twilio cannot send our CSRF token: the request is authenticated by its signature instead
def status_callback():
    if not _signed():
        abort(403)
    # Applied once per (MessageSid, MessageStatus) and never backwards: a replay or one of Twilio's own
    # retries changes nothing and gets the same 200 (anything else makes Twilio retry again).
    services.handle_status(request.form, int_arg("m"))
    return Response("", 200)


@bp.post("/twilio/inbound")
@public
@csrf.exempt  # as above: signature-checked
def inbound():
    if not _signed():
        abort(403)
    outcome = services.handle_inbound(request.form.get("From", ""), request.form.get("Body", ""))
    log.info("inbound message from %s: %s", request.form.get("From", ""), outcome or "ignored")
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', 200, mimetype="text/xml")


# ------------------------------------------------------------------ home page


def home_cards(user, school, role, today):
    from ..auth.roles import has_perm

    if school is None or not has_perm(role, NotifPerm.LOG):
        return []
    cards = []
    flags = services.open_flag_count(school)
    if flags:
        cards.append(Card(title=_("Phone numbers to fix"), url=url_for("notifications.phones"), urgency=40,
                          count=flags, tone="warning",
                          lines=[_("SMS could not reach these people.")]))
    if has_perm(role, NotifPerm.RULES) and budget_module.monthly_budget(school.id):
        month = services.month_budget(school)
        if month.warning:
            cards.append(Card(title=_("SMS budget"), url=url_for("notifications.budget"), urgency=30,
                              tone="warning", lines=[_("%(share)s%% of this month's SMS budget is spent.",
                                                       share=int(month.share * 100))]))
    since = now_utc() - dt.timedelta(days=1)
    counts = services.status_counts(school, since)
    bad = counts.get("failed", 0) + counts.get("undelivered", 0) + counts.get("unknown", 0)
    if bad:
        cards.append(Card(title=_("Messages not delivered"), url=url_for("notifications.log"), urgency=35,
                          count=bad, tone="warning", lines=[_("In the last 24 hours.")]))
    return cards

