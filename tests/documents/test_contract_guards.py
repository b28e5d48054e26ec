"""The security company's guards (issue 13): the contract in the register names the school's guards it employs;
the gate phone offers them by name at a change of shift (the sign-in page then has the account filled in), and
the guard's gate page names the company.  Only guards of contracts in force, of this school."""

from __future__ import annotations

import datetime as dt

import pytest

from safetyops.documents import guards
from safetyops.errors_service import ServiceError
from tests.documents.helpers import make_document

TODAY = dt.date.today()


def _contract(school, guard_ids, **kw):
    return make_document(
        school,
        kind="contract_security",
        title="Күзөт келишими",
        contractor="ОсОО «Калкан-Күзөт»",
        number="1/2026",
        guard_ids=guard_ids,
        **kw,
    )


def test_a_contract_names_guards_of_this_school_only(f):
    g1, g2 = f.user("guard", full_name="Токтосунов Бакыт"), f.user("guard", full_name="Эшимов Талант")
    teacher, stranger = f.user("teacher"), f.user("guard", f.school_b)
    doc = _contract(f.school_a, [g2.id, g1.id])
    assert {u.id for u in guards.guards_of(doc)} == {g1.id, g2.id}
    for bad in (teacher.id, stranger.id):
        with pytest.raises(ServiceError) as err:
            guards.set_guards(None, f.school_a, doc, [g1.id, bad])
        assert err.value.field == "guard_ids"
    guards.set_guards(None, f.school_a, doc, [g1.id])
    assert guards.guard_ids(doc) == [g1.id]
    other = make_document(f.school_a, kind="contract_alarm", contractor="Сигнал")
    guards.set_guards(None, f.school_a, other, [g2.id])  # not a security contract: nothing kept
    assert guards.guard_ids(other) == []


def test_only_contracts_in_force_offer_their_guards(f):
    g1, g2, g3 = (f.user("guard", full_name=n) for n in ("Асанов", "Бекмуратов", "Жээнбеков"))
    _contract(f.school_a, [g1.id])
    _contract(f.school_a, [g2.id], status="archived")
    _contract(f.school_a, [g3.id], review_on=TODAY - dt.timedelta(days=1))
    _contract(f.school_b, [f.user("guard", f.school_b).id])
    assert [u.id for u, _doc in guards.on_contract(f.school_a, TODAY)] == [g1.id]
    g1.is_enabled = False
    assert guards.on_contract(f.school_a, TODAY) == []


def test_the_director_names_the_guards_on_the_contract_form(client, f, as_role):
    g1, g2 = f.user("guard", full_name="Токтосунов Бакыт"), f.user("guard", full_name="Эшимов Талант")
    as_role("director")
    page = client.get("/documents/new?kind=contract_security").get_data(as_text=True)
    assert "Токтосунов Бакыт" in page and "Эшимов Талант" in page
    data = {
        "title_local": "Күзөт келишими",
        "contractor": "ОсОО «Калкан-Күзөт»",
        "number": "1/2026",
        "approved_on": "2026-09-01",
        "remind_days": "30",
        "status": "in_force",
        "responsible_id": "0",
        "approved_by_id": "0",
        "guard_ids": [str(g1.id), str(g2.id)],
    }
    resp = client.submit("/documents/new?kind=contract_security", data)
    assert resp.status_code == 302
    detail = client.get(resp.location).get_data(as_text=True)
    assert "Токтосунов Бакыт" in detail and "Эшимов Талант" in detail
    data["guard_ids"] = [str(f.user("guard", f.school_b).id)]
    resp = client.submit("/documents/new?kind=contract_security", data)
    assert resp.status_code == 200 and "doc-people has-error" in resp.get_data(as_text=True)


def test_the_gate_phone_offers_the_company_guards_at_a_change_of_shift(client, f, as_role):
    guard = as_role("guard")
    other = f.user("guard", full_name="Эшимов Талант", username="eshimov")
    doc = _contract(f.school_a, [guard.id, other.id])
    page = client.get("/gate/").get_data(as_text=True)
    assert "ОсОО «Калкан-Күзөт»" in page or "ОсОО «Калкан-Күзөт»".replace("«", "&laquo;") in page
    client.submit("/gate/lock", {}, page="/gate/")
    page = client.get("/gate/locked").get_data(as_text=True)
    assert "Эшимов Талант" in page and f'value="{other.id}"' in page
    assert f'name="guard_id" value="{guard.id}"' not in page  # not the one already signed in
    with client.session_transaction() as sess:
        sess["locale"] = "ru"  # the language the phone was used in
    resp = client.submit("/gate/switch", {"guard_id": str(other.id)}, page="/gate/locked")
    assert resp.status_code == 302 and "login=eshimov" in resp.location
    login_page = client.get(resp.location).get_data(as_text=True)
    assert 'value="eshimov"' in login_page and '<html lang="ru"' in login_page
    assert doc.id


def test_a_name_not_on_a_contract_fills_in_nothing(client, f, as_role):
    as_role("guard")
    outsider = f.user("guard", full_name="Бекова Нурия", username="bekova")
    client.submit("/gate/lock", {}, page="/gate/")
    resp = client.submit("/gate/switch", {"guard_id": str(outsider.id)}, page="/gate/locked")
    assert resp.status_code == 302 and "login=" not in resp.location
