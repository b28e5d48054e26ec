"""Ecological safety: removal against the contract's schedule and its late alert, separate collection
with the act's photo, lab residues, the greening plan."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import sqlalchemy as sa
import time_machine
from PIL import Image

from safetyops.ecology import jobs, services
from safetyops.ecology.models import Act, Collection, GreeningItem, LabDisposal, Removal
from safetyops.extensions import db
from safetyops.notifications.models import OutboundMessage
from safetyops.schools.models import Area
from tests.documents.helpers import make_document


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 10)).save(buf, "JPEG")
    return buf.getvalue()


def _contract(school, contractor="МП «Тазалык»"):
    return make_document(school, kind="contract_waste", title="Таштанды чыгаруу келишими", number="7",
                         contractor=contractor)


def _late_messages():
    return db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.kind == services.LATE_KIND)).all()


def test_a_removal_takes_the_contractor_from_the_contract(client, f, as_role):
    contract = _contract(f.school_a)
    as_role("safety_officer")
    resp = client.submit("/ecology/removals/new", {"removed_on": "2026-11-20", "contract_id": str(contract.id),
                                                   "contractor": "", "volume_m3": "8", "kind": "mixed"})
    assert resp.status_code == 302
    [row] = db.session.scalars(sa.select(Removal)).all()
    assert row.contractor == "МП «Тазалык»" and row.contract_id == contract.id and row.volume_m3 == Decimal("8")
    page = client.get("/ecology").get_data(as_text=True)
    assert "МП «Тазалык»" in page


def test_another_schools_contract_cannot_be_chosen(client, f, as_role):
    other = _contract(f.school_b)
    as_role("director")
    resp = client.submit("/ecology/removals/new", {"removed_on": "2026-11-20", "contract_id": str(other.id),
                                                   "contractor": "x", "volume_m3": "8", "kind": "mixed"})
    assert resp.status_code == 200 and db.session.scalars(sa.select(Removal)).all() == []


@time_machine.travel(dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC), tick=False)
def test_late_removal_alerts_the_director_and_the_appointee_once(f):
    director = f.user("director", f.school_a)
    eco = f.user("teacher", f.school_a)
    f.appointment(f.school_a, user=eco, area=Area.ECOLOGY)
    contract = _contract(f.school_a)
    services.save_schedule(None, f.school_a, contract_id=contract.id, every_days=7, starts_on=dt.date(2026, 11, 1))
    services.add_removal(None, f.school_a, removed_on=dt.date(2026, 11, 25), contract_id=contract.id, contractor="",
                         volume_m3=Decimal("6"), kind="mixed")
    now = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    assert services.next_removal_due(f.school_a) == dt.date(2026, 12, 2)
    assert jobs.removal_late(now) == 0  # not late yet
    services.save_schedule(None, f.school_a, contract_id=contract.id, every_days=3, starts_on=dt.date(2026, 11, 1))
    assert services.days_late(f.school_a, dt.date(2026, 11, 30)) == 2
    assert jobs.removal_late(now) == 2
    assert jobs.removal_late(now) == 0  # a second run queues nothing
    assert {m.user_id for m in _late_messages()} == {director.id, eco.id}
    # once removed, nothing is late any more
    services.add_removal(None, f.school_a, removed_on=dt.date(2026, 11, 30), contract_id=None, contractor="Тазалык",
                         volume_m3=Decimal("5"), kind="mixed")
    assert jobs.removal_late(now) == 0


def test_separate_collection_with_the_acts_photo(client, f, as_role):
    as_role("deputy")
    resp = client.submit("/ecology/collections/new", {
        "handed_on": "2026-11-15", "kind": "paper", "quantity_kg": "120.5", "receiver": "Кайра иштетүү пункту",
        "act_number": "14", "act": (io.BytesIO(_jpeg()), "act.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    [row] = db.session.scalars(sa.select(Collection)).all()
    assert row.quantity_kg == Decimal("120.5") and row.act_id
    photo = client.get(f"/ecology/acts/{row.act_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data[:2] == b"\xff\xd8"
    page = client.get("/ecology").get_data(as_text=True)
    assert "120.5" in page


def test_a_file_that_is_not_a_photo_is_refused_beside_the_field(client, f, as_role):
    as_role("director")
    resp = client.submit("/ecology/collections/new", {
        "handed_on": "2026-11-15", "kind": "plastic", "quantity_kg": "3", "receiver": "Пункт",
        "act": (io.BytesIO(b"%PDF-1.4 not a photo"), "act.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "not a photo" in resp.get_data(as_text=True)
    assert db.session.scalars(sa.select(Act)).all() == []


def test_lab_residues_need_the_act_and_a_responsible_person_of_the_school(client, f, as_role):
    chemist = f.user("teacher", f.school_a)
    stranger = f.user("teacher", f.school_b)
    as_role("safety_officer")
    data = {"disposed_on": "2026-11-10", "substances": "Кислота калдыктары", "quantity": "2 л",
            "method": "нейтралдаштырылды", "responsible_id": str(stranger.id), "act_number": "3"}
    assert client.submit("/ecology/lab/new", data).status_code == 200
    data.update(responsible_id=str(chemist.id), act_number="")
    page = client.submit("/ecology/lab/new", data).get_data(as_text=True)
    assert "act" in page and db.session.scalars(sa.select(LabDisposal)).all() == []
    data.update(act_number="3")
    assert client.submit("/ecology/lab/new", data).status_code == 302
    [row] = db.session.scalars(sa.select(LabDisposal)).all()
    assert row.responsible_id == chemist.id
    assert chemist.full_name in client.get("/ecology").get_data(as_text=True)


def test_the_greening_plan_is_ticked_done_and_back(client, f, as_role):
    as_role("director")
    client.submit("/ecology/greening/new", {"kind": "planting", "title": "Карагач, 20 көчөт", "place": "Короо",
                                            "planned_on": "2026-10-15"})
    [item] = db.session.scalars(sa.select(GreeningItem)).all()
    client.submit(f"/ecology/greening/{item.id}/done", {"done": "1"}, page="/ecology")
    db.session.refresh(item)
    assert item.done_on is not None
    client.submit(f"/ecology/greening/{item.id}/done", {"done": "0"}, page="/ecology")
    db.session.refresh(item)
    assert item.done_on is None
