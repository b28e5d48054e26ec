"""`safetyops audit verify` (the hash chain) and `safetyops audit purge` (retention, by hand)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("audit")
def cli():
    """The audit log: verify its hash chain, purge it after the retention period."""


@cli.command("verify")
@with_appcontext
def verify():
    """Check every event's hash and its link to the one before; print where the chain breaks."""
    from .services import verify_chain

    verdict = verify_chain()
    if verdict.checked == 0:
        click.echo("audit chain: no events")
        return
    for b in verdict.breaks:
        click.echo(f"BROKEN at event seq={b.seq} id={b.id}: {b.reason}", err=True)
    click.echo(f"audit chain: {verdict.checked} events checked, seq {verdict.first_seq}..{verdict.head_seq}, "
               f"newest hash {verdict.head_hash}")
    if not verdict.ok:
        raise SystemExit(1)
    click.echo("audit chain: OK")


@cli.command("purge")
@with_appcontext
def purge():
    """Delete events older than SAFETYOPS_AUDIT_RETENTION_DAYS now (the nightly job does this too)."""
    from ..extensions import db
    from ..time import now_utc
    from .services import purge_expired

    days = int(current_app.config["AUDIT_RETENTION_DAYS"])
    deleted = purge_expired(now_utc(), days)
    db.session.commit()
    click.echo(f"purged {deleted} audit events older than {days} days" if days > 0 else
               "AUDIT_RETENTION_DAYS is 0: the audit log is kept for ever")
