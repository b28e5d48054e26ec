"""Issue 17: an injury recorded sends the director an SMS at once, through the outbox: once per injury, in
each director's language, one segment, and no word that could name the child (no name, class or injury:
the kind, the place, the time and the register's number)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.accidents import services
from safetyops.accidents.models import IncidentKind
from safetyops.config import LANGUAGES
from safetyops.extensions import db
from safetyops.notifications import dispatcher, segments
from safetyops.notifications.gateways import build_gateway
from safetyops.notifications.models import Channel, MessageStatus, OutboundMessage
from safetyops.notifications.outbox import render, samples, texts

T0 = dt.datetime(2026, 11, 23, 4, 50, tzinfo=dt.UTC)  # 10:50 in Bishkek
NAME, CLASS, INJURY = "Асанов Бакыт", "7Б", "Оң тамандын чыгышы"


def _messages():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == services.INJURY_SMS)
                                   .order_by(OutboundMessage.id)))


def _incident(school, kind="injury", place="Спорт зал"):
    return services.record_incident(None, school, kind=kind, occurred_dt=T0 - dt.timedelta(minutes=10),
                                    place=place, description="Секирүүдө бутун бурап алды", parents_informed=True,
                                    ambulance=False, police=False)


@time_machine.travel(T0, tick=False)
def test_the_nurse_records_an_injury_and_the_directors_get_an_sms_at_once(client, f, as_role, tmp_path):
    ky_director = f.user("director", phone="+996555100001", locale="ky")
    ru_director = f.user("director", phone="+996555100002", locale="ru")
    deputy = f.user("deputy", phone="+996555100003", locale="ky")
    other_school = f.user("director", f.school_b, phone="+996555100004", locale="ky")
    klass = f.school_class(f.school_a, name=CLASS)
    incident = _incident(f.school_a)
    nurse = as_role("nurse")
    nurse.phone = "+996555100005"
    data = {"class_id": str(klass.id), "injury": INJURY, "first_aid": "Муз, бинт", "person_name": NAME,
            "consent_paper": "Арыз №12, 20.11.2026"}
    page = f"/accidents/{incident.id}"
    assert client.submit(f"{page}/injuries", data, page=page).status_code == 302
    rows = _messages()
    assert sorted(r.user_id for r in rows) == sorted([ky_director.id, ru_director.id])  # not the deputy nor B
    assert {deputy.id, other_school.id, nurse.id}.isdisjoint(r.user_id for r in rows)
    by = {r.user_id: r for r in rows}
    assert by[ky_director.id].body == f"Жаракат (бактысыз окуя): Спорт зал, 23.11 10:40, №{incident.id}"
    assert by[ru_director.id].body == f"Травма (несчастный случай): Спорт зал, 23.11 10:40, №{incident.id}"
    for row in rows:
        assert row.is_urgent and row.status == MessageStatus.QUEUED and row.next_attempt_dt is None
        assert row.channel == Channel.SMS and row.school_id == f.school_a.id
        for word in (NAME, "Асанов", "Бакыт", CLASS, INJURY, "Муз"):  # nothing that names the child
            assert word not in row.body
        assert segments.count(row.body).segments == 1
    # sent at once by the console gateway (the one the tests use): each director's text to their phone
    log = tmp_path / "sms.jsonl"
    out = dispatcher.run_pass(gw=build_gateway("console", {"SMS_LOG_FILE": str(log)}))
    assert out.sent == 2
    sent = {line["to"]: line["body"] for line in map(json.loads, log.read_text(encoding="utf-8").splitlines())}
    assert sent == {ky_director.phone: by[ky_director.id].body, ru_director.phone: by[ru_director.id].body}
    assert {r.status for r in _messages()} == {MessageStatus.SENT}
    # the register shows the number the SMS gives
    as_role("director")
    assert f"Record No.</dt><dd>{incident.id}</dd>" in client.get(f"/accidents/{incident.id}").get_data(as_text=True)
    assert f"No. {incident.id} · injured: 1" in client.get("/accidents").get_data(as_text=True)


@time_machine.travel(T0, tick=False)
def test_once_per_injury(f):
    director = f.user("director", phone="+996555100011", locale="ky")
    incident = _incident(f.school_a, kind="fight", place="2-кабат, чыгыш коридор")
    first = services.add_injury(None, f.school_a, incident, class_id=None, person_name="", consent_paper="",
                                injury="Мурундан кан агуу", first_aid="")
    assert services.alert_injury(f.school_a, first) == []  # the same injury again: nothing more
    services.add_injury(None, f.school_a, incident, class_id=None, person_name="", consent_paper="",
                        injury="Көздүн алдында көгала", first_aid="")  # a second child hurt: its own SMS
    rows = _messages()
    assert [r.user_id for r in rows] == [director.id, director.id]
    assert len({r.idempotency_key for r in rows}) == 2
    assert rows[0].body == f"Жаракат (мушташ): 2-кабат, чыгыш…, 23.11 10:40, №{incident.id}"


@time_machine.travel(T0, tick=False)
def test_a_director_who_records_it_is_not_told_and_the_demo_sends_nothing(f):
    me = f.user("director", phone="+996555100021", locale="ru")
    other = f.user("director", phone="+996555100022", locale="ru")
    incident = _incident(f.school_a)
    services.add_injury(me, f.school_a, incident, class_id=None, person_name="", consent_paper="",
                        injury="Ушиб", first_aid="")
    assert [r.user_id for r in _messages()] == [other.id]
    services.add_injury(None, f.school_a, incident, class_id=None, person_name="", consent_paper="",
                        injury="Ушиб", first_aid="", alert=False)
    assert len(_messages()) == 1


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_kind_fits_one_segment_with_the_longest_place_and_number(app, locale):
    """The registered sample (tests/notifications/test_texts.py) is the injury kind; here every kind."""
    assert services.INJURY_SMS in texts() and services.INJURY_SMS in samples()
    sample = samples()[services.INJURY_SMS]
    with app.test_request_context():
        for kind in IncidentKind:
            body = render(services.INJURY_SMS, sample | {"kind": services.SMS_KINDS[kind]}, locale)
            assert segments.count(body + "Ө").segments == 1, body  # one unit of margin, as test_texts
