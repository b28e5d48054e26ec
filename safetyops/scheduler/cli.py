"""`safetyops scheduler`: the scheduler as its own process."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every sweep once now and exit (no lease, no dispatcher thread).")
@click.option("--no-dispatch", is_flag=True, help="Do not run a dispatcher thread in this process.")
@with_appcontext
def cli(once, no_dispatch):
    """Run the reminder sweeps and the SMS dispatcher (one leader at a time)."""
    from .service import SchedulerService, log_to_console, run_all

    app = current_app._get_current_object()
    if once:
        for name, count in run_all().items():
            click.echo(f"{name}: {count}")
        return
    log_to_console()
    service = SchedulerService(app, blocking=True, dispatch=not no_dispatch)

    def stop(signum, _frame):
        service.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"scheduler {service.holder} running (Ctrl+C to stop)")
    service.start()
