"""Reporting the class during a drill is two taps from the home card (issue 12): the card opens
the report form of the teacher's own class, pre-filled; sending it is the second tap."""

from __future__ import annotations

import re

import sqlalchemy as sa

from safetyops.drills.models import ClassReport
from safetyops.extensions import db
from tests.conftest import login


def _card_href(html: str) -> str:
    cards = re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(?:(?!</a>).)*?Drill in progress', html, re.S)
    assert cards, "the drill card is on the home page"
    return cards[0]


def test_home_card_opens_the_own_class_report_form(client, f):
    teacher = f.user("teacher")
    klass = f.school_class(name="5А", students=25, homeroom=teacher)
    drill = f.drill()
    login(client, teacher)
    url = _card_href(client.get("/").get_data(as_text=True))
    assert url == f"/drills/{drill.id}/classes/{klass.id}"
    form = client.get(url).get_data(as_text=True)
    assert 'value="25"' in form  # tap 1 opened the form, pre-filled from the register
    r = client.submit(url, {"on_register": 25, "present": 25, "evacuated": 25, "injured": 0})  # tap 2
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClassReport)) == 1


def test_two_classes_the_card_opens_the_one_not_reported_yet(client, f):
    teacher = f.user("teacher")
    first = f.school_class(name="5А", students=25, homeroom=teacher)
    second = f.school_class(name="6Б", students=20, homeroom=teacher)
    drill = f.drill()
    login(client, teacher)
    url = _card_href(client.get("/").get_data(as_text=True))
    done, todo = (first, second) if url.endswith(f"/{first.id}") else (second, first)
    assert url == f"/drills/{drill.id}/classes/{done.id}"
    client.submit(
        url, {"on_register": done.students, "present": done.students, "evacuated": done.students, "injured": 0}
    )
    assert _card_href(client.get("/").get_data(as_text=True)) == f"/drills/{drill.id}/classes/{todo.id}"
    client.submit(
        _card_href(client.get("/").get_data(as_text=True)),
        {"on_register": todo.students, "present": todo.students, "evacuated": todo.students, "injured": 0},
    )
    assert _card_href(client.get("/").get_data(as_text=True)) == "/drills/my"
