"""Names in SMS: the reader's part of a bilingual label, cut at a word boundary (issue 16 item 2)."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
import time_machine
from flask_babel import force_locale

from safetyops.extensions import db
from safetyops.notifications import segments
from safetyops.notifications.models import OutboundMessage
from safetyops.notifications.outbox import pick_language, shorten, sms_name


def test_pick_the_readers_part():
    label = "Күндүзгү күзөт / Охрана днём"
    assert pick_language(label, "ky") == "Күндүзгү күзөт"
    assert pick_language(label, "ru") == "Охрана днём"
    assert pick_language(label, "kk") == "Күндүзгү күзөт"  # the Turkic part for a Kazakh reader
    assert pick_language(label, "en") == "Охрана днём"
    assert pick_language("Күндізгі күзет / Дневная охрана", "kk") == "Күндізгі күзет"
    assert pick_language("Спорт зал", "ru") == "Спорт зал"


def test_shorten_at_a_word_boundary():
    assert shorten("Нөөмөтчү администратор", 18) == "Нөөмөтчү…"
    assert shorten("Директордун кабинети", 18) == "Директордун…"
    assert shorten("Химия лабораториясы", 18) == "Химия…"
    assert shorten("Коридор 2", 18) == "Коридор 2"
    assert shorten("Өртөчүрүүчүлөрдүнкабинети", 10) == "Өртөчүрүү…"  # one long word: cut inside
    assert all(len(shorten("Антитеррордук коргоо паспорту", n)) <= n for n in range(2, 40))


def render_with(name) -> str:
    template = "Пост: %(p)s"  # how outbox.render fills an SMS text
    return template % {"p": name}


def test_sms_name_renders_in_the_locale_it_is_formatted_in(app):
    name = sms_name("Түнкү күзөт / Ночная охрана", 22)
    with app.test_request_context():
        with force_locale("ky"):
            assert render_with(name) == "Пост: Түнкү күзөт"
        with force_locale("ru"):
            assert render_with(name) == "Пост: Ночная охрана"


def _label_words() -> set[str]:
    from safetyops.inspections.models import Asset
    from safetyops.rosters.models import Post
    from safetyops.schools.models import Zone

    words: set[str] = set()
    for col in (Post.name, Zone.name, Asset.code):
        for name in db.session.scalars(sa.select(col)):
            words |= set(re.findall(r"[\w-]+", name or ""))
    from safetyops.config import LANGUAGES
    from safetyops.documents.jobs import KINDS

    for locale in LANGUAGES:
        with force_locale(locale):
            for kind in KINDS.values():
                words |= set(re.findall(r"[\w-]+", str(kind.label)))
    return words


def test_a_demo_day_of_sms_has_no_word_cut_and_no_bilingual_label(demo_app):
    from safetyops.scheduler.catalogue import load_sweeps

    with demo_app.app_context():  # a copy of the demo, fresh
        first = db.session.scalar(sa.select(sa.func.max(OutboundMessage.id))) or 0
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=1)
        sweeps = {n: s for n, s in load_sweeps().items() if n not in ("notifications.dispatch", "scheduler.nightly")}
        with time_machine.travel(start, tick=False) as tm:
            for step in range(0, 24 * 4):
                now = start + dt.timedelta(minutes=15 * step)
                tm.move_to(now)
                for name in sorted(sweeps):
                    # as the scheduler runs it: every 15 minutes, or at its own slower pace (hourly…)
                    if (15 * step) % max(15, sweeps[name].every_minutes) == 0:
                        sweeps[name].fn(now)
                        db.session.commit()
        bodies = list(db.session.scalars(sa.select(OutboundMessage.body)
                                         .where(OutboundMessage.id > first, OutboundMessage.kind != "broadcast")))
    assert len(bodies) > 50
    with demo_app.test_request_context():
        words = _label_words()
    cut = [b for b in bodies for w in re.findall(r"([\w-]+)…", b) if w not in words]
    assert cut == [], "names cut inside a word:\n" + "\n".join(sorted(set(cut)))
    assert [b for b in bodies if " / " in b] == []
    assert [b for b in bodies if segments.count(b).segments > 1] == []
