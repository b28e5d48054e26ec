"""SMPP delivery receipts -> the outbox: the listener beside the dispatcher.

The SMSC sends a receipt (``deliver_sm``) on the gateway's transceiver connection; `SmppGateway.poll`
answers it and hands it over; `apply_receipts` applies it like a Twilio status callback
(`outcomes.apply_provider_status`: once per (id, status), never backwards). A receipt can come
before the dispatcher stored the message id (the id is stored with the next message's commit): it is
kept and tried again for RECEIPT_HOLD_S. Receipts lost while no listener ran are caught up by the
dispatcher's reconciliation (``query_sm``, when the SMSC supports it).

Runs as a companion thread of every scheduler process when SAFETYOPS_SMPP_HOST is set
(`scheduler.catalogue.companions`), or alone: ``safetyops sms smpp-listen``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..scoping import cross_school
from ..time import now_utc
from .outcomes import apply_provider_status
from .routes import gateway_named
from .smpp_gateway import Receipt, SmppGateway

log = logging.getLogger("safetyops.sms")

#: A receipt whose message id is not stored yet is tried again for this long.
RECEIPT_HOLD_S = 300


@cross_school("a receipt names its message by the provider's id, unique across schools")
def apply_receipt(receipt: Receipt, now: dt.datetime | None = None) -> bool | None:
    """Apply one receipt (no commit). True: changed a message; False: known, nothing to change (a repeat,
    or an older status); None: no message has this id (yet)."""
    from .models import OutboundMessage

    if receipt.status is None:
        return False
    if (
        db.session.scalar(sa.select(OutboundMessage.id).where(OutboundMessage.provider_id == receipt.message_id))
        is None
    ):
        return None
    return apply_provider_status(
        receipt.message_id,
        receipt.status,
        receipt.error_code,
        f"SMPP receipt stat:{receipt.stat} err:{receipt.err}",
        now or now_utc(),
    )


class ReceiptListener(threading.Thread):
    """Polls the SMPP gateway for receipts and applies them. `run_once` does one round (tests, the CLI)."""

    def __init__(self, app: Flask, gw: SmppGateway | None = None, wait: float = 1.0, idle: float = 5.0) -> None:
        super().__init__(name="safetyops-smpp-receipts", daemon=True)
        self.app = app
        self.gw = gw
        self.wait = wait
        self.idle = idle
        self.stop_event = threading.Event()
        self.held: list[tuple[Receipt, float]] = []
        self.applied = 0

    def gateway(self) -> SmppGateway:
        if self.gw is None:
            self.gw = gateway_named(self.app, "smpp")  # type: ignore[assignment]
        return self.gw  # type: ignore[return-value]

    def run_once(self, wait: float | None = None) -> int:
        """Read what arrived (waiting up to `wait` s) and apply it; returns how many messages changed.
        Needs an app context (the thread's `run` pushes one per round)."""
        fresh = self.gateway().poll(self.wait if wait is None else wait)
        now = time.monotonic()
        todo = [(r, now) for r in fresh] + self.held
        self.held = []
        changed = 0
        for receipt, seen in todo:
            done = apply_receipt(receipt)
            if done is None and now - seen < RECEIPT_HOLD_S:
                self.held.append((receipt, seen))
            changed += bool(done)
        db.session.commit()
        self.applied += changed
        return changed

    def run(self) -> None:
        while not self.stop_event.is_set():
            with self.app.app_context():
                try:
                    self.run_once()
                except Exception:  # noqa: BLE001 - keep listening; the next round binds again
                    log.exception("smpp receipt round failed")
                    self.stop_event.wait(self.idle)
                finally:
                    db.session.remove()
            if self.gw is not None and not self.gw.is_bound:
                self.stop_event.wait(self.idle)  # the SMSC is away: do not hammer it

    def stop(self) -> None:
        self.stop_event.set()
