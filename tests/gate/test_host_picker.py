"""The gate's host picker (issue 12): the school's most visited staff first, then everyone by name;
a plain select without script (static/js/picker.js makes it searchable), the new-entry page kept
offline with its script in the app shell."""

from __future__ import annotations

import datetime as dt
import re

from safetyops.extensions import db
from safetyops.gate.forms import HOST_DAYS, host_choices
from safetyops.time import now_utc
from tests.conftest import login


def _names(choices):
    return [c.label for c in choices]


def test_most_visited_hosts_first_then_everyone_by_name(f):
    now = now_utc()
    anna = f.user("teacher", full_name="Анна")
    bakyt = f.user("teacher", full_name="Бакыт")
    zarina = f.user("deputy", full_name="Зарина")
    f.user("teacher", full_name="Айгүл")
    f.user("teacher", full_name="Выбыл", enabled=False)
    for _ in range(3):
        f.gate_entry(host_id=zarina.id, in_dt=now - dt.timedelta(days=1))
    f.gate_entry(host_id=bakyt.id, in_dt=now - dt.timedelta(days=2))
    for _ in range(5):  # long ago: does not count
        f.gate_entry(host_id=anna.id, in_dt=now - dt.timedelta(days=HOST_DAYS + 1))
    f.gate_entry(school=f.school_b, host_id=anna.id, in_dt=now)  # another school's visits do not count
    db.session.flush()
    names = _names(host_choices(f.school_a, "— nobody —", now))
    assert names[:3] == ["— nobody —", "Зарина", "Бакыт"]
    rest = names[3:]
    assert rest == sorted(rest, key=str.casefold) and "Анна" in rest and "Айгүл" in rest
    assert "Выбыл" not in names


def test_the_form_is_a_plain_select_with_the_searchable_script(client, f):
    guard = f.user("guard")
    host = f.user("teacher", full_name="Зарина")
    f.gate_entry(host_id=host.id)
    db.session.commit()
    login(client, guard)
    html = client.get("/gate/new").get_data(as_text=True)
    select = re.search(r"<select[^>]*name=\"host_id\"[^>]*>(.*?)</select>", html, re.S)
    assert select is not None and "data-search=" in select.group(0)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))
    assert options[1] == "Зарина"  # the most frequent host first, right after "nobody"
    assert "/static/js/picker.js" in html and "<script>" not in html and "style=" not in html


def test_the_picker_script_is_in_the_app_shell_and_the_form_in_the_guards_pages(client, f):
    guard = f.user("guard")
    db.session.commit()
    login(client, guard)
    worker = client.get("/sw.js").get_data(as_text=True)
    assert "/static/js/picker.js?v=" in worker
    pages = client.get("/offline/pages.json").get_json()["pages"]
    assert "/gate/new" in pages
