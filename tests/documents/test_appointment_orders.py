"""The responsible persons' page and the civil-defence staff's page link each appointment to the order that
made it in the documents register (same number and date); another school's order of the same number never."""

from __future__ import annotations

import datetime as dt

from safetyops.documents import services
from safetyops.schools.models import Area
from tests.documents.helpers import make_document


def _setup(f):
    officer = f.user("safety_officer")
    fire = f.appointment(user=officer)
    fire.order_number = "12"
    cd = f.appointment(user=officer, area=Area.CIVIL_DEFENCE)
    cd.order_number, cd.order_date = "13", dt.date(2026, 9, 2)
    unlinked = f.appointment(user=officer, area=Area.ECOLOGY)  # "1-к": a personnel order, not in the register
    order12 = make_document(
        f.school_a, kind="order", number="12", title="Өрт коопсуздугу", approved_on=dt.date(2026, 9, 1)
    )
    order13 = make_document(
        f.school_a, kind="order", number="13", title="Жарандык коргоо штабы", approved_on=dt.date(2026, 9, 2)
    )
    make_document(f.school_a, kind="order", number="12", title="Башка жыл", approved_on=dt.date(2025, 9, 1))
    make_document(f.school_b, kind="order", number="13", title="Башка мектеп", approved_on=dt.date(2026, 9, 2))
    return fire, cd, unlinked, order12, order13


def test_orders_for_appointments_in_one_query(f):
    fire, cd, unlinked, order12, order13 = _setup(f)
    found = services.orders_for_appointments(f.school_a, [fire, cd, unlinked])
    assert found == {fire.id: order12, cd.id: order13}
    assert services.orders_for_appointments(f.school_a, []) == {}


def test_the_pages_link_each_appointment_to_its_order(client, f, as_role):
    fire, cd, unlinked, order12, order13 = _setup(f)
    for role in ("director", "safety_officer"):
        as_role(role)
        page = client.get("/appointments").get_data(as_text=True)
        assert f'href="/documents/{order12.id}"' in page and f'href="/documents/{order13.id}"' in page, role
        assert page.count("The order in the register") == 2
    as_role("director")
    page = client.get("/civil-defence").get_data(as_text=True)
    assert f'href="/documents/{order13.id}"' in page and f'href="/documents/{order12.id}"' not in page
