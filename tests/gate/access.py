"""Gate routes × roles.  Guards log and read today's gate; teachers read no visitor data; the director
reads everything; the inspector sees counts only."""

from safetyops.auth.roles import Role
from tests.access_common import SIGNED_IN

MANAGERS = frozenset({Role.DIRECTOR, Role.ADMIN})
LOG = MANAGERS | {Role.GUARD}
REPORT = MANAGERS | {Role.DEPUTY}
READ = LOG | {Role.DEPUTY}
WATCH_VIEW = READ
COUNTS = REPORT | {Role.INSPECTOR}

MATRIX = {
    "gate.lock": LOG,
    "gate.locked": SIGNED_IN,
    "gate.unlock": SIGNED_IN,
    "gate.switch_guard": SIGNED_IN,
    "gate.pin": LOG,
    "gate.index": LOG,
    "gate.new": LOG,
    "gate.suggest": LOG,
    "gate.entry": READ,
    "gate.sign_out": LOG,
    "gate.refuse": LOG,
    "gate.stay": LOG,
    "gate.closing": LOG,
    "gate.photo": READ,
    "gate.entries": READ,
    "gate.report": REPORT,
    "gate.journal_pdf": REPORT,
    "gate.counts": COUNTS,
    "gate.watchlist": WATCH_VIEW,
    "gate.watch_new": MANAGERS,
    "gate.watch_remove": MANAGERS,
    "gate.rounds": LOG,
    "gate.scan_code": LOG,
    "gate.checkpoint_scan": LOG,
    "gate.checkpoints": MANAGERS,
    "gate.checkpoint_qr": MANAGERS,
    "gate.labels": MANAGERS,
    "gate.settings": MANAGERS,
}

#: A GET that is not a 200 page: /gate/locked sends an unlocked phone back (302).
EXPECT = {"gate.locked": 302}


def objects(f, school):
    entry = f.gate_entry(school)
    return {
        "entry_id": entry.id,
        "gate_photo_id": f.gate_photo(school).id,
        "watch_id": f.watch(school).id,
        "checkpoint_id": f.checkpoint(school).id,
        "cp_code": f.checkpoint(school).code,
    }
