"""Messages per second per channel: console, Twilio (local stand-in), Telegram (local Bot API stand-in).

For each channel: a database of its own (SQLite file, or PostgreSQL with --pg), 100 staff, N urgent
messages queued with notify() (for Telegram every person is linked, so the outbox routes them to the
bot), then the dispatcher (`run_pass`, one process, one thread, one commit per message) until the
outbox is empty. The stand-ins run in processes of their own (they do not share the dispatcher's
GIL); their clients are the real ones (twilio, pyTelegramBotAPI). Also the bare client rate (no
database) for the two network channels.

Usage: python bench/notify_channels.py [--messages 2000] [--pg URL]
Writes bench/results/notify_channels[_pg].json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.notifications_common import make_app, make_database, seed  # noqa: E402
from safetyops.extensions import db  # noqa: E402

SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "bench-token"
BOT_TOKEN = "7000000001:AAE-bench-token"

FAKE_TWILIO = """
import sys
from tests.notifications.fake_twilio import FakeTwilio
with FakeTwilio(auth_token=sys.argv[1]) as fake:
    print(fake.url, flush=True)
    sys.stdin.readline()
    print(sum(1 for r in fake.requests if r.method == "POST"), flush=True)
"""

FAKE_TELEGRAM = """
import sys
from tests.notifications.fake_telegram import FakeTelegram
with FakeTelegram(sys.argv[1]) as fake:
    print(fake.url, flush=True)
    sys.stdin.readline()
    print(len(fake.sent), flush=True)
"""


class Stand_in:  # noqa: N801
    """A stand-in server in a process of its own; `requests()` asks it how many messages it took."""

    def __init__(self, script: str, token: str) -> None:
        self.script, self.token = script, token

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.script, self.token],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.proc.stdout.readline().strip()
        return self

    def requests(self) -> int:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def _queue(app, n: int, link: bool) -> int:
    from safetyops.auth.models import User
    from safetyops.notifications.models import OutboundMessage
    from safetyops.notifications.outbox import notify
    from safetyops.notifications.telegram_models import TelegramLink
    from safetyops.schools.models import School

    with app.app_context():
        school = db.session.scalar(sa.select(School))
        users = list(db.session.scalars(sa.select(User).order_by(User.id)))
        if link:
            db.session.execute(
                sa.insert(TelegramLink), [{"user_id": u.id, "chat_id": 100_000 + u.id, "username": ""} for u in users]
            )
            db.session.commit()
        rounds = (n + len(users) - 1) // len(users)
        for r in range(rounds):
            take = users[: min(len(users), n - r * len(users))]
            notify(school, take, "bench.channel", f"r{r}", {"time": "07:30"}, urgent=True)
            db.session.commit()
        queued = db.session.scalar(sa.select(sa.func.count(OutboundMessage.id)))
        db.session.remove()
    return queued


def _dispatch(app, **gateways) -> tuple[float, int, dict[str, int]]:
    from safetyops.notifications import dispatcher
    from safetyops.notifications.models import OutboundMessage

    with app.app_context():
        t0 = time.perf_counter()
        out = dispatcher.run_pass(housekeeping=False, **gateways)
        wall = time.perf_counter() - t0
        by = dict(
            db.session.execute(
                sa.select(OutboundMessage.channel, sa.func.count(OutboundMessage.id)).group_by(OutboundMessage.channel)
            ).all()
        )
        db.session.remove()
    return wall, out.sent, {str(getattr(k, "value", k)): v for k, v in by.items()}


def run_channel(channel: str, n: int, staff: int, pg: str | None) -> dict[str, object]:
    from safetyops.notifications.gateways import ConsoleGateway, TwilioGateway
    from safetyops.notifications.telegram_gateway import TelegramGateway

    url, drop = make_database(pg)
    try:
        extra = {"TELEGRAM_BOT_TOKEN": BOT_TOKEN} if channel == "telegram" else {}
        app = make_app(url, **extra)
        seed(app, 1, staff)
        queued = _queue(app, n, link=channel == "telegram")
        result: dict[str, object] = {"channel": channel, "messages": queued}
        if channel == "console":
            import logging

            logging.getLogger("safetyops.sms").setLevel(logging.WARNING)
            wall, sent, by = _dispatch(app, gw=ConsoleGateway())
            result.update(provider_requests=sent)
        elif channel == "twilio":
            with Stand_in(FAKE_TWILIO, TWILIO_TOKEN) as fake:
                with TwilioGateway(SID, TWILIO_TOKEN, from_number="+15005550006", api_base=fake.url) as bare:
                    t0 = time.perf_counter()
                    for i in range(500):
                        bare.send(f"+99655{i:07d}", "bare")
                    result["bare_client_messages_per_second"] = round(500 / (time.perf_counter() - t0), 1)
                with TwilioGateway(SID, TWILIO_TOKEN, from_number="+15005550006", api_base=fake.url) as gw:
                    wall, sent, by = _dispatch(app, gw=gw)
                result["provider_requests"] = fake.requests() - 500
        else:
            import logging

            logging.getLogger("safetyops.telegram").setLevel(logging.WARNING)
            with Stand_in(FAKE_TELEGRAM, BOT_TOKEN) as fake:
                bare = TelegramGateway(BOT_TOKEN, api_base=fake.url)
                t0 = time.perf_counter()
                for i in range(500):
                    bare.send(100_000 + i, "bare")
                result["bare_client_messages_per_second"] = round(500 / (time.perf_counter() - t0), 1)
                wall, sent, by = _dispatch(app, tg=TelegramGateway(BOT_TOKEN, api_base=fake.url), gw=ConsoleGateway())
                result["provider_requests"] = fake.requests() - 500
        result.update(
            sent=sent, by_channel=by, dispatch_seconds=round(wall, 2), messages_per_second=round(sent / wall, 1)
        )
        return result
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--pg", default="")
    args = parser.parse_args()

    from flask_babel import lazy_gettext as _l

    from safetyops.notifications.outbox import register_text

    register_text("bench.channel", _l("Duty tomorrow at %(time)s."))
    results = [run_channel(c, args.messages, args.staff, args.pg or None) for c in ("console", "twilio", "telegram")]
    for r in results:
        print(
            f"{r['channel']:>9}: {r['sent']} sent in {r['dispatch_seconds']} s = {r['messages_per_second']} msg/s"
            + (
                f" (bare client {r['bare_client_messages_per_second']} msg/s)"
                if "bare_client_messages_per_second" in r
                else ""
            )
        )
    out = {"database": "postgresql" if args.pg else "sqlite", "machine": "2 cores, shared", "channels": results}
    path = ROOT / "bench" / "results" / f"notify_channels{'_pg' if args.pg else ''}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
