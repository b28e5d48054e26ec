"""Dispatch N queued messages (default 10,000) through the real `twilio` client to the local fake Twilio.

Builds a database of its own (SQLite file, or PostgreSQL with --pg), 100 staff, N queued messages
(notify() in batches), then runs the dispatcher (`run_pass`, one process, one thread: the same
code the scheduler runs) until the outbox is empty. The fake Twilio runs in a process of its own.
Reports messages per second, and the overhead per message: wall time minus the time spent inside
the gateway's HTTP call, per message (claim, sending-mark, result, one commit per message). Also
the bare gateway rate (the twilio client alone, no database) for comparison.

Usage: python bench/notifications_dispatch.py [--messages 10000] [--pg URL]
Writes bench/results/notifications_dispatch[_pg].json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import subprocess  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from bench.notifications_common import make_app, make_database, seed  # noqa: E402
from safetyops.extensions import db  # noqa: E402

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "bench-token"


FAKE = """
import sys
from tests.notifications.fake_twilio import FakeTwilio
with FakeTwilio(auth_token=sys.argv[1]) as fake:
    print(fake.url, flush=True)
    sys.stdin.readline()
    print(sum(1 for r in fake.requests if r.method == "POST"), flush=True)
"""


class FakeProcess:
    """The fake Twilio in a process of its own (so it does not share the dispatcher's GIL)."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", FAKE, TOKEN], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        return self

    def posts(self) -> int:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class TimedGateway:
    """Wraps a gateway and adds up the time spent in send()."""

    def __init__(self, inner):
        self.inner, self.name, self.seconds, self.calls = inner, inner.name, 0.0, 0

    def send(self, *a, **kw):
        t0 = time.perf_counter()
        try:
            return self.inner.send(*a, **kw)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def fetch(self, provider_id):
        return self.inner.fetch(provider_id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--pg", default="")
    args = parser.parse_args()

    from flask_babel import lazy_gettext as _l

    from safetyops.notifications import dispatcher
    from safetyops.notifications.gateways import TwilioGateway
    from safetyops.notifications.models import MessageStatus, OutboundMessage
    from safetyops.notifications.outbox import notify, register_text
    from safetyops.schools.models import School

    register_text("bench.reminder", _l("Duty tomorrow %(time)s at %(post)s. SafetyOps"))
    url, drop = make_database(args.pg or None)
    try:
        app = make_app(url)
        seed(app, 1, args.staff)
        with app.app_context():
            from safetyops.auth.models import User

            school = db.session.scalar(sa.select(School))
            users = list(db.session.scalars(sa.select(User)))
            t0 = time.perf_counter()
            rounds = (args.messages + len(users) - 1) // len(users)
            for r in range(rounds):
                take = users[: min(len(users), args.messages - r * len(users))]
                notify(school, take, "bench.reminder", f"r{r}", {"time": "07:30", "post": "Gate 1"}, urgent=True)
                db.session.commit()
            queue_s = time.perf_counter() - t0
            queued = db.session.scalar(sa.select(sa.func.count(OutboundMessage.id)))
            db.session.remove()

        with FakeProcess() as fake:
            # bare gateway rate, no database
            with TwilioGateway(SID, TOKEN, from_number="+15005550006", api_base=fake.url) as bare:
                n_bare = 1000
                t0 = time.perf_counter()
                for i in range(n_bare):
                    bare.send(f"+99655{i:07d}", "bare")
                bare_s = time.perf_counter() - t0
            with TwilioGateway(SID, TOKEN, from_number="+15005550006", api_base=fake.url) as inner:
                gw = TimedGateway(inner)
                with app.app_context():
                    t0 = time.perf_counter()
                    out = dispatcher.run_pass(gw=gw, housekeeping=False)
                    wall = time.perf_counter() - t0
                    sent = db.session.scalar(sa.select(sa.func.count(OutboundMessage.id))
                                             .where(OutboundMessage.status == MessageStatus.SENT))
                    db.session.remove()
            posts = fake.posts() - n_bare
        result = {
            "database": "postgresql" if args.pg else "sqlite",
            "messages": queued,
            "queue_seconds": round(queue_s, 2),
            "queue_per_second": round(queued / queue_s),
            "dispatch_seconds": round(wall, 2),
            "messages_per_second": round(out.sent / wall, 1),
            "gateway_seconds": round(gw.seconds, 2),
            "overhead_ms_per_message": round((wall - gw.seconds) / max(1, out.sent) * 1000, 3),
            "gateway_ms_per_message": round(gw.seconds / max(1, gw.calls) * 1000, 3),
            "bare_gateway_messages_per_second": round(n_bare / bare_s, 1),
            "sent": sent,
            "provider_requests": posts,
        }
        assert sent == queued == posts, result
        print(json.dumps(result, indent=2))
        name = "notifications_dispatch_pg.json" if args.pg else "notifications_dispatch.json"
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / name).write_text(json.dumps(result, indent=2) + "\n")
        with app.app_context():
            db.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
