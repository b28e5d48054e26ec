"""SMS over SMPP, and what a month of the demo school's reminders costs (issue 16).

1. **Messages per second over SMPP**: N urgent messages queued with notify() in a database of its own,
   sent by the dispatcher (`run_pass`, one thread, one commit per message) through the SMPP gateway
   (smpplib) to the local SMSC simulator (Node, npm `smpp`: tests/notifications/smsc/server.js); also
   the bare gateway rate (smpplib alone, no database).
2. **A month of the demo school's reminders in som**: a fresh demo, every sweep run at its interval for
   `--days` days of frozen time (the first days after the demo is built), the dispatcher after each step,
   sent to a recording gateway; the parts of what the demo school sent, scaled to 30 days, times
   `--price` som per part. Three runs, each on a fresh demo: *before* (no duplicate rule, no merging),
   *merged* (one message per person per event: the duplicate rule and merging, production defaults),
   *merged + Latin* (the school's reminders in Latin letters; urgent alerts stay as written).

Usage: python bench/sms_month_cost.py [--messages 2000] [--days 7] [--price 1.5]
Writes bench/results/sms_month_cost.json.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
import time_machine  # noqa: E402

from bench.notifications_common import make_app, make_database, seed  # noqa: E402
from safetyops.extensions import db  # noqa: E402
from tests.notifications.fake_smsc import PASSWORD, SYSTEM_ID, FakeSmsc  # noqa: E402

STEP_MIN = 5  # the shortest sweep interval


class Recorder:
    """A gateway that accepts everything and keeps what it was given."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to, body, *, channel="sms", status_callback=None):
        from safetyops.notifications.gateways import SendResult

        self.sent.append((to, body))
        return SendResult("accepted", provider_id=f"rec-{len(self.sent)}", status="delivered")

    def fetch(self, provider_id):
        return None


# --------------------------------------------------------------------------- 1. SMPP throughput


def smpp_rate(messages: int) -> dict:
    from safetyops.notifications import dispatcher, routes
    from safetyops.notifications.outbox import notify, register_text
    from safetyops.notifications.smpp_gateway import SmppGateway

    register_text("bench.smpp", "%(text)s")
    out: dict = {"messages": messages}
    with tempfile.TemporaryDirectory() as tmp, FakeSmsc(Path(tmp)) as smsc:
        url, drop = make_database(None)
        smpp = {
            "SMPP_HOST": "127.0.0.1",
            "SMPP_PORT": smsc.port,
            "SMPP_SYSTEM_ID": SYSTEM_ID,
            "SMPP_PASSWORD": PASSWORD,
            "SMPP_SOURCE_ADDR": "SafetyOps",
            "SMS_GATEWAY": "smpp",
            "SMS_MERGE_HOLD_S": 0,
            "SMS_MERGE_MAX_SEGMENTS": 0,
            "SMS_DEDUP_WINDOW_MIN": 0,
        }
        app = make_app(url, **smpp)
        seed(app, 1, 100)
        from safetyops.auth.models import User
        from safetyops.schools.models import School

        with app.app_context():
            school = db.session.scalar(sa.select(School))
            people = list(db.session.scalars(sa.select(User)))
            t0 = time.perf_counter()
            for i in range(messages // len(people)):
                notify(
                    school,
                    people,
                    "bench.smpp",
                    f"b{i}",
                    {"text": f"SafetyOps: check {i} of the fire exits."},
                    urgent=True,
                )
                db.session.commit()
            out["queue_s"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            sent = 0
            while True:
                r = dispatcher.run_pass(housekeeping=False)
                sent += r.sent
                if not r.claimed:
                    break
            wall = time.perf_counter() - t0
            out.update(
                sent=sent, dispatch_s=round(wall, 2), msg_per_s=round(sent / wall, 1), smsc_got=len(smsc.submits())
            )
            routes.gateway_named(app, "smpp").close()
            db.session.remove()
        drop()
        gw = SmppGateway("127.0.0.1", smsc.port, SYSTEM_ID, PASSWORD, "SafetyOps")
        n = min(messages, 1000)
        t0 = time.perf_counter()
        ok = sum(gw.send(f"+99655{i:07d}", "SafetyOps: check the fire exits.").outcome == "accepted" for i in range(n))
        bare = time.perf_counter() - t0
        gw.close()
        out.update(bare_messages=n, bare_accepted=ok, bare_msg_per_s=round(n / bare, 1))
    return out


# --------------------------------------------------------------------------- 2. a month of reminders


def month(days: int, price: float, variant: str) -> dict:
    from safetyops.demo import build_demo
    from safetyops.notifications import dispatcher, routes, segments
    from safetyops.notifications.models import OutboundMessage
    from safetyops.scheduler.catalogue import load_sweeps
    from safetyops.schools.demo import SCHOOL_NAME
    from safetyops.schools.models import School

    merged = variant != "before"
    config = {
        "SMS_DEDUP_WINDOW_MIN": 60 if merged else 0,
        "SMS_MERGE_HOLD_S": 60 if merged else 0,
        "SMS_MERGE_MAX_SEGMENTS": 2 if merged else 0,
    }
    url, drop = make_database(None)
    app = make_app(url, **config)
    gw = Recorder()
    t_wall = time.perf_counter()
    with app.app_context():
        build_demo("pw")
        school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
        school_id = school.id
        if variant == "merged+latin":
            routes.save_route(school_id, "", latin=True)
        db.session.commit()
        built = db.session.scalar(sa.select(sa.func.max(OutboundMessage.id))) or 0
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        sweeps = {n: s for n, s in load_sweeps().items() if n not in ("notifications.dispatch", "scheduler.nightly")}
        with time_machine.travel(start, tick=False) as tm:
            for step in range(days * 24 * 60 // STEP_MIN + 1):
                now = start + dt.timedelta(minutes=step * STEP_MIN)
                tm.move_to(now)
                for name in sorted(sweeps):
                    if (step * STEP_MIN) % int(sweeps[name].every_minutes) == 0:
                        sweeps[name].fn(now)
                        db.session.commit()
                if merged:  # held messages fall due a minute after they are queued
                    tm.move_to(now + dt.timedelta(minutes=1, seconds=1))
                dispatcher.run_pass(gw=gw, housekeeping=False)
                db.session.expunge_all()
        rows = db.session.execute(
            sa.select(OutboundMessage.body, OutboundMessage.is_urgent, OutboundMessage.kind).where(
                OutboundMessage.school_id == school_id,
                OutboundMessage.id > built,
                OutboundMessage.status.in_(["sent", "delivered"]),
            )
        ).all()
        db.session.remove()
    drop()
    parts = sum(segments.count(body).segments for body, _, _ in rows)
    latin = sum(1 for body, _, _ in rows if segments.is_gsm7(body))
    scale = 30 / days
    return {
        "variant": variant,
        "days_simulated": days,
        "messages": len(rows),
        "parts": parts,
        "urgent_messages": sum(1 for _, u, _ in rows if u),
        "messages_in_gsm7": latin,
        "by_kind": dict(collections.Counter(k for _, _, k in rows).most_common()),
        "month_messages": round(len(rows) * scale),
        "month_parts": round(parts * scale),
        "month_som": round(parts * scale * price, 2),
        "wall_s": round(time.perf_counter() - t_wall, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--price", type=float, default=1.5, help="som per SMS part (an assumption: set yours)")
    args = ap.parse_args()
    result = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "price_som_per_part": args.price}
    result["smpp"] = smpp_rate(args.messages)
    print(json.dumps(result["smpp"]), flush=True)
    result["month"] = []
    for variant in ("before", "merged", "merged+latin"):
        result["month"].append(month(args.days, args.price, variant))
        print(json.dumps(result["month"][-1], ensure_ascii=False), flush=True)
    before, after = result["month"][0]["month_som"], result["month"][-1]["month_som"]
    result["month_saving_pct"] = round(100 * (before - after) / before, 1) if before else None
    out = ROOT / "bench" / "results" / "sms_month_cost.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
