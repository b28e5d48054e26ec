"""`safetyops sms …`: check the set-up, run a dispatcher."""

from __future__ import annotations

import time
import uuid

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("sms")
def cli():
    """SMS and WhatsApp messages."""


@cli.command("send")
@click.option("--to", "to", required=True, help="Phone number (E.164, or local with --country).")
@click.option("--text", required=True)
@click.option("--channel", type=click.Choice(["sms", "whatsapp"]), default="sms", show_default=True)
@click.option("--country", default="KG", show_default=True, help="Region for a local number.")
@with_appcontext
def send(to, text, channel, country):
    """Send one message through the outbox and the configured gateway; print the outcome."""
    from ..extensions import db
    from ..phones import normalize_phone
    from . import dispatcher
    from .models import Channel
    from .outbox import queue_raw
    from .segments import count

    number = normalize_phone(to, country)
    if number is None:
        raise click.BadParameter("not a valid phone number", param_hint="--to")
    msg = queue_raw(None, None, number, text, kind="test", key=uuid.uuid4().hex, channel=Channel(channel))
    db.session.commit()
    info = count(text)
    click.echo(f"queued #{msg.id} to {number} via {current_app.config['SMS_GATEWAY']} "
               f"({info.encoding}, {info.units} units, {info.segments} segment(s))")
    dispatcher.run_pass(ids=[msg.id], housekeeping=False)
    db.session.expire_all()
    msg = db.session.get(type(msg), msg.id)
    click.echo(f"status: {msg.status.value}")
    if msg.provider_id:
        click.echo(f"provider id: {msg.provider_id} ({msg.provider_status})")
    if msg.error_code or msg.error_message:
        click.echo(f"error: {msg.error_code} {msg.error_message}".rstrip())
    if msg.status.value not in ("sent", "delivered"):
        raise SystemExit(1)


@cli.command("dispatch")
@click.option("--loop", is_flag=True, help="Keep running (poll every few seconds).")
@with_appcontext
def dispatch(loop):
    """Send every queued message that is due (once, or in a loop)."""
    from ..extensions import db
    from . import dispatcher

    while True:
        out = dispatcher.run_pass()
        db.session.remove()
        click.echo(f"sent {out.sent} of {out.claimed}; recovered {out.recovered}; expired {out.expired}; "
                   f"reconciled {out.reconciled}")
        if not loop:
            return
        time.sleep(float(current_app.config.get("SMS_DISPATCH_POLL", 5)))


@cli.command("smpp-listen")
@click.option("--once", is_flag=True, help="Read what has arrived, apply it and exit.")
@with_appcontext
def smpp_listen(once):
    """Apply the SMSC's delivery receipts as they arrive (SMPP gateway; `serve` and `scheduler` run this
    beside the dispatcher when SAFETYOPS_SMPP_HOST is set)."""
    from ..extensions import db
    from .smpp_gateway import smpp_configured
    from .smpp_receipts import ReceiptListener

    if not smpp_configured(current_app.config):
        raise click.UsageError("SMPP is not configured (SAFETYOPS_SMPP_HOST).")
    listener = ReceiptListener(current_app._get_current_object())
    try:
        while True:
            changed = listener.run_once()
            db.session.remove()
            if changed:
                click.echo(f"receipts applied: {changed}")
            if once:
                return
            if not listener.gateway().is_bound:
                time.sleep(listener.idle)
    finally:
        listener.gateway().close()
