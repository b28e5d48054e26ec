"""The guard's "on site now", the gate log and the daily report's journal come in pages of 50 (issue 19):
`?page=` is read and bounded, and the audit event of the read is written after the page rendered,
without the commit that used to reload every listed entry one by one."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from safetyops.audit.models import AuditEvent
from safetyops.extensions import db
from safetyops.paging import PAGE_SIZE
from safetyops.time import now_utc, zone
from tests.gate.helpers import english  # noqa: F401  (autouse)


def _names(html: str, prefix: str) -> list[str]:
    return re.findall(rf'<span class="title">({prefix} \d+)</span>', html)


def _make(f, n: int, **kw):
    base = now_utc() - dt.timedelta(minutes=30)
    return [f.gate_entry(name=f"Visitor {i:03d}", in_dt=base + dt.timedelta(seconds=i), **kw) for i in range(n)]


def test_on_site_now_is_paged_and_its_read_audited_once(client, as_role, f):
    guard = as_role("guard")
    _make(f, PAGE_SIZE + 7)
    first = client.get("/gate/").get_data(as_text=True)
    assert _names(first, "Visitor") == [f"Visitor {i:03d}" for i in range(PAGE_SIZE)]
    assert f'<span class="badge">{PAGE_SIZE + 7}</span>' in first  # the total, not the page
    assert 'rel="next" href="/gate/?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/gate/?page=2").get_data(as_text=True)
    assert _names(second, "Visitor") == [f"Visitor {i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 7)]
    assert 'rel="prev" href="/gate/?page=1"' in second and 'rel="next"' not in second
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.user_id == guard.id,
                                                            AuditEvent.action == "gate.read_on_site")).all()
    assert [e.detail for e in events] == [f"n={PAGE_SIZE + 7} page=1", f"n={PAGE_SIZE + 7} page=2"]


def test_a_page_argument_is_bounded(client, as_role, f):
    as_role("guard")
    _make(f, 3)
    for junk in ("abc", "0", "-4", ""):
        html = client.get(f"/gate/?page={junk}").get_data(as_text=True)
        assert len(_names(html, "Visitor")) == 3
    assert client.get("/gate/?page=99999999999").status_code == 400
    assert client.get("/gate/entries?page=99999999999").status_code == 400
    assert client.get("/gate/?page=7").status_code == 200  # past the end: an empty page


def test_the_gate_log_keeps_its_search_in_the_pager(client, as_role, f):
    as_role("director")
    _make(f, PAGE_SIZE + 1)
    html = client.get("/gate/entries?q=visitor").get_data(as_text=True)
    assert len(_names(html, "Visitor")) == PAGE_SIZE
    assert "page=2" in html and "q=visitor" in re.search(r'rel="next" href="([^"]+)"', html).group(1)
    html = client.get("/gate/entries?q=visitor&page=2").get_data(as_text=True)
    assert _names(html, "Visitor") == ["Visitor 000"]  # newest first


def test_the_daily_report_counts_every_entry_and_pages_its_journal(client, as_role, f):
    as_role("director")
    made = _make(f, PAGE_SIZE + 2, guard=f.user("guard"))
    late = f.gate_entry(name="Late 1", kind="staff_late", in_dt=made[0].in_dt)
    day = made[0].in_dt.astimezone(zone(f.school_a.timezone)).date()
    if made[-1].in_dt.astimezone(zone(f.school_a.timezone)).date() != day:  # just after midnight
        return
    html = client.get(f"/gate/report?day={day}").get_data(as_text=True)
    assert f'<span class="badge">{PAGE_SIZE + 3}</span>' in html  # entries by kind: all of them
    assert f'<span class="badge">{PAGE_SIZE + 2}</span>' in html  # not signed out: every visitor inside
    assert late.name in html
    journal = html.split('class="section-h"')[1]
    assert len(re.findall(r'class="list-item"', journal)) == PAGE_SIZE
    html = client.get(f"/gate/report?day={day}&page=2").get_data(as_text=True)
    journal = html.split('class="section-h"')[1]
    assert len(re.findall(r'class="list-item"', journal)) == 3
    assert f"day={day}" in re.search(r'rel="prev" href="([^"]+)"', html).group(1)
