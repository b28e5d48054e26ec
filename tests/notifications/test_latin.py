"""Latin letters for non-urgent SMS and the school's SMS route page (issue 16)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.notifications import routes, segments
from safetyops.notifications.latin import to_latin
from safetyops.notifications.models import OutboundMessage
from safetyops.notifications.outbox import notify, register_text

register_text("test.latin", _l("%(text)s"))


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Эртең күзөт, ө ү ң", "Erteng küzöt, ö ü ng"),  # Kyrgyz
        (
            "Қазақстан: әлем, ғимарат, ұлттық, өрт, үй, тұрғын, һ, ілім",
            "Qazaqstan: älem, ghimarat, ulttyq, ört, üi, turghyn, h, ilim",
        ),  # Kazakh
        ("Щука, объект, цирк, №21 «Ж»", 'Shchuka, obekt, tsirk, No21 "Zh"'),  # Russian
        ("SafetyOps: fire check at 07:00", "SafetyOps: fire check at 07:00"),  # Latin already: unchanged
    ],
)
def test_to_latin(cyrillic, latin):
    assert to_latin(cyrillic) == latin
    assert segments.is_gsm7(to_latin(cyrillic))


def test_latin_always_gives_gsm7():
    text = "Ёжик 😀 — ¿ Ω ™ ½ ✓ ң"
    assert segments.is_gsm7(to_latin(text))


def test_latin_saves_parts_on_a_kyrgyz_reminder():
    text = "SafetyOps: Нөөмөт эртең: Күндүзгү күзөт, 07:00. Өрт өчүргүчтөрдү текшериңиз."
    assert segments.count(text).segments == 2 and segments.count(to_latin(text)).segments == 1


def _users(f, n=2):
    return [f.user("teacher", phone=f"+99655580000{i}", locale="ky") for i in range(n)]


def test_reminders_go_in_latin_when_the_school_chose_it_and_urgent_alerts_never(f):
    people = _users(f)
    text = "Эртең күзөт: Өрт өчүргүч"
    routes.save_route(f.school_a.id, "", latin=True)
    reminder = notify(f.school_a, people, "test.latin", "r1", {"text": text})
    alert = notify(f.school_a, people, "test.latin", "a1", {"text": text}, urgent=True)
    other = notify(f.school_b, people, "test.latin", "b1", {"text": text})
    db.session.commit()
    assert {m.body for m in reminder} == {"Erteng küzöt: Ört öchürgüch"}
    assert {m.body for m in alert} == {text}
    assert {m.body for m in other} == {text}  # school B did not choose it


def _token(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)


def test_broadcast_preview_shows_the_saving_and_latin_is_the_directors_choice(client, as_role, f):
    as_role("director")
    _users(f, 3)
    db.session.commit()
    token = _token(client.get("/messages/broadcast").get_data(as_text=True))
    text = "Эртең саат 10:00дө эвакуация машыгуусу болот. Бардык мугалимдер класстары менен короого чыгышат."
    assert segments.count(text).segments == 2
    data = {"audience": "teacher", "text": text, "token": token}
    html = client.submit("/messages/broadcast", data, page="/messages/broadcast").get_data(as_text=True)
    assert "In Latin letters: 1 SMS parts per person, 3 fewer SMS in total" in html
    assert to_latin(text) in html and 'name="latin" value="y">' in html  # not ticked: the school did not choose it
    resp = client.submit("/messages/broadcast", {**data, "confirm": "1", "latin": "y"}, page="/messages/broadcast")
    assert resp.status_code == 302
    bodies = set(db.session.scalars(sa.select(OutboundMessage.body).where(OutboundMessage.kind == "broadcast")))
    assert bodies == {to_latin(text)}


def test_broadcast_in_cyrillic_unless_ticked(client, as_role, f):
    as_role("director")
    _users(f, 1)
    routes.save_route(f.school_a.id, "", latin=True)
    db.session.commit()
    token = _token(client.get("/messages/broadcast").get_data(as_text=True))
    data = {"audience": "teacher", "text": "Жыйналыш саат 15:00дө", "token": token}
    html = client.submit("/messages/broadcast", data, page="/messages/broadcast").get_data(as_text=True)
    assert 'name="latin" value="y" checked>' in html  # the school's choice ticks it
    client.submit("/messages/broadcast", {**data, "confirm": "1"}, page="/messages/broadcast")
    bodies = set(db.session.scalars(sa.select(OutboundMessage.body).where(OutboundMessage.kind == "broadcast")))
    assert bodies == {"Жыйналыш саат 15:00дө"}


def test_route_page_sets_the_schools_route(app, client, as_role, f, monkeypatch):
    as_role("director")
    db.session.commit()
    html = client.get("/messages/route").get_data(as_text=True)
    assert "Abroad" in html and "In the country" in html and "Nowhere" in html
    monkeypatch.setitem(app.config, "SMPP_HOST", "")
    resp = client.submit("/messages/route", {"gateway": "smpp", "latin": "y"}, page="/messages/route")
    assert resp.status_code == 200 and "not set up on the server" in resp.get_data(as_text=True)
    assert routes.route_of(f.school_a.id) is None
    monkeypatch.setitem(app.config, "SMPP_HOST", "smsc.example.kg")
    resp = client.submit("/messages/route", {"gateway": "smpp", "latin": "y"}, page="/messages/route")
    assert resp.status_code == 302
    row = routes.route_of(f.school_a.id)
    assert (row.gateway, row.latin) == ("smpp", True)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "messages.route")) is not None
    resp = client.submit("/messages/route", {"gateway": "pigeon"}, page="/messages/route")
    assert resp.status_code == 200 and routes.route_of(f.school_a.id).gateway == "smpp"
