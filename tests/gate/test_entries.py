"""Gate entries: logging, bad input, idempotent submits, sign-out, on site now, watchlist, host SMS, audit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from safetyops.audit.models import AuditEvent
from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.gate import services, sweeps
from safetyops.gate.models import EntryKind, GateEntry
from safetyops.gate.names import name_key, names_match
from safetyops.notifications.models import OutboundMessage
from tests.gate.helpers import english  # noqa: F401  (autouse)

# 10:00 in Bishkek (UTC+6)
NOON = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)


def messages(kind=None):
    q = sa.select(OutboundMessage).order_by(OutboundMessage.id)
    if kind:
        q = q.where(OutboundMessage.kind == kind)
    return list(db.session.scalars(q))


def entries(school):
    return list(db.session.scalars(sa.select(GateEntry).where(GateEntry.school_id == school.id)))


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("a,b", [
    ("Жумабаев Эрлан", "Erlan Jumabaev"),
    ("Жумабаев Эрлан", "DZHUMABAEV ERLAN"),
    ("Юлия Щербакова", "Yulia Sherbakova"),
    ("Хасанов Ёлдаш", "Hasanov Yoldash"),
    ("Әлия Қайратқызы", "Aliya Kairatkyzy"),
    ("Цой Виктор", "Tsoy Viktor"),
    ("Сергеев Сергей", "Sergeyev Sergey"),
])
def test_names_match_across_scripts(a, b):
    assert names_match(name_key(a), name_key(b))


def test_different_people_do_not_match():
    assert not names_match(name_key("Иванов Иван"), name_key("Петров Иван"))
    # one word in common counts only with the same document ending
    assert names_match(name_key("Иванов Иван"), name_key("Petrov Ivan"), "1234", "1234")
    assert not names_match(name_key("Иванов Иван"), name_key("Petrov Ivan"), "1234", "9999")


# --- logging -----------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_guard_logs_a_visitor_and_the_host_gets_an_sms(f):
    guard = f.user("guard")
    host = f.user("teacher", phone="+996555000111")
    entry, created = services.log_entry(guard, f.school_a, client_id="c1", kind="visitor", name="  Асанов   Бакыт ",
                                        doc_type="passport", doc_last4="ab 12", purpose="Meeting", host_id=host.id)
    assert created and entry.guard_id == guard.id and entry.in_dt == NOON
    assert entry.name == "Асанов Бакыт" and entry.doc_last4 == "AB12" and entry.out_dt is None
    sms = messages("gate.host")
    assert [m.user_id for m in sms] == [host.id]
    assert "Асанов Бакыт" in sms[0].body and "10:00" in sms[0].body
    assert services.on_site_now(f.school_a) == [entry]


def test_a_retried_submit_is_stored_once(f):
    guard = f.user("guard")
    first, created = services.log_entry(guard, f.school_a, client_id="same", kind="visitor", name="Ким Елена")
    again, created_again = services.log_entry(guard, f.school_a, client_id="same", kind="visitor", name="Ким Елена")
    assert created and not created_again and again.id == first.id
    assert len(entries(f.school_a)) == 1


def test_the_same_client_id_in_two_schools_is_two_entries(f):
    services.log_entry(None, f.school_a, client_id="x", kind="visitor", name="A B")
    services.log_entry(None, f.school_b, client_id="x", kind="visitor", name="A B")
    assert len(entries(f.school_a)) == len(entries(f.school_b)) == 1


def test_a_full_document_number_is_refused(f):
    with pytest.raises(ServiceError) as err:
        services.log_entry(None, f.school_a, client_id="c", kind="visitor", name="A B", doc_last4="AN1234567")
    assert err.value.field == "doc_last4"
    assert entries(f.school_a) == []


def test_the_database_refuses_more_than_four_characters(f):
    # a CHECK on SQLite, the VARCHAR(4) itself on PostgreSQL
    with pytest.raises((sa.exc.IntegrityError, sa.exc.DataError)), db.session.begin_nested():
        f.gate_entry(doc_last4="12345")


def test_empty_name_and_vehicle_without_plate_are_refused(f):
    with pytest.raises(ServiceError, match="name"):
        services.log_entry(None, f.school_a, client_id="c", kind="visitor", name="   ")
    with pytest.raises(ServiceError) as err:
        services.log_entry(None, f.school_a, client_id="c", kind="vehicle", name="Driver")
    assert err.value.field == "vehicle_plate"


def test_host_must_work_at_this_school(f):
    stranger = f.user("teacher", f.school_b)
    with pytest.raises(ServiceError) as err:
        services.log_entry(None, f.school_a, client_id="c", kind="visitor", name="A B", host_id=stranger.id)
    assert err.value.field == "host_id"


@time_machine.travel(dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.UTC), tick=False)  # 00:30 local
def test_time_in_is_the_latest_such_moment_and_at_most_12_hours_ago(f):
    e, _ = services.log_entry(None, f.school_a, client_id="a", kind="visitor", name="Late Guest",
                              in_time=dt.time(23, 50))
    assert e.in_dt == dt.datetime(2026, 11, 20, 17, 50, tzinfo=dt.UTC)  # yesterday evening, not tomorrow
    with pytest.raises(ServiceError) as err:
        services.log_entry(None, f.school_a, client_id="b", kind="visitor", name="Old Guest", in_time=dt.time(12, 0))
    assert err.value.field == "in_time"


def test_staff_late_arrival_is_closed_at_once_and_not_on_site(f):
    e, _ = services.log_entry(None, f.school_a, client_id="s", kind="staff_late", name="Петров Сергей")
    assert e.out_dt == e.in_dt
    assert services.on_site_now(f.school_a) == []


def test_photo_only_with_consent(f):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buf, "PNG")
    with pytest.raises(ServiceError) as err:
        services.log_entry(None, f.school_a, client_id="p1", kind="visitor", name="A B", photo=buf.getvalue())
    assert err.value.field == "photo"
    e, _ = services.log_entry(None, f.school_a, client_id="p2", kind="visitor", name="A B", photo=buf.getvalue(),
                              has_photo_consent=True)
    assert e.photo_id is not None
    with pytest.raises(ServiceError):
        services.log_entry(None, f.school_a, client_id="p3", kind="visitor", name="A B", photo=b"not an image",
                           has_photo_consent=True)


def test_the_database_refuses_a_photo_without_consent(f):
    photo = f.gate_photo()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        f.gate_entry(photo_id=photo.id, has_photo_consent=False)


# --- sign-out and on site now -----------------------------------------------------------------


def test_sign_out_is_idempotent_and_refuses_a_time_before_entry(f):
    guard = f.user("guard")
    with time_machine.travel(NOON, tick=False):
        e, _ = services.log_entry(guard, f.school_a, client_id="o", kind="visitor", name="A B")
    with time_machine.travel(NOON + dt.timedelta(hours=1), tick=False):
        with pytest.raises(ServiceError) as err:
            services.sign_out(guard, f.school_a, e, out_time=dt.time(9, 0))  # 09:00 local, before 10:00
        assert err.value.field == "out_time" and e.out_dt is None
        assert services.sign_out(guard, f.school_a, e) is True
        first_out = e.out_dt
        assert services.sign_out(guard, f.school_a, e) is False
    assert e.out_dt == first_out and e.out_guard_id == guard.id


def test_the_database_refuses_out_before_in(f):
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        f.gate_entry(in_dt=NOON, out_dt=NOON - dt.timedelta(minutes=1))


def test_on_site_now_lists_open_visits_of_this_school_only(f):
    host = f.user("teacher")
    a = f.gate_entry(name="Early", in_dt=NOON - dt.timedelta(hours=2), host_id=host.id)
    b = f.gate_entry(name="Later", in_dt=NOON - dt.timedelta(hours=1), kind="contractor")
    f.gate_entry(name="Gone", in_dt=NOON - dt.timedelta(hours=3), out_dt=NOON)
    f.gate_entry(name="Late teacher", kind="staff_late")
    f.gate_entry(f.school_b, name="Elsewhere")
    found = services.on_site_now(f.school_a)
    assert found == [a, b]
    assert found[0].host.id == host.id and found[1].host is None
    assert {e.kind for e in found} == {EntryKind.VISITOR, EntryKind.CONTRACTOR}


# --- watchlist ----------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_a_watchlist_match_across_spellings_alerts_duty_admin_and_director(f):
    director = f.user("director", phone="+996555000001")
    deputy = f.user("deputy", phone="+996555000002")
    host = f.user("teacher", phone="+996555000003")
    w = f.watch(name="Сидоров Пётр Иванович", reason="custody")
    e, _ = services.log_entry(None, f.school_a, client_id="w", kind="parent", name="Petr Sidorov", host_id=host.id)
    assert e.watchlist_id == w.id
    alerts = messages("gate.watch")
    assert {m.user_id for m in alerts} == {director.id, deputy.id}
    assert all(m.is_urgent for m in alerts)
    assert messages("gate.host") == []  # the host is not called to the gate for a barred person
    # the same entry again (a retried submit) queues nothing more
    services.log_entry(None, f.school_a, client_id="w", kind="parent", name="Petr Sidorov")
    assert len(messages("gate.watch")) == 2


def test_a_removed_or_other_school_watch_does_not_match(f):
    w = f.watch(name="Сидоров Пётр")
    f.watch(f.school_b, name="Ким Елена")
    services.remove_watch(None, f.school_a, w)
    assert services.match_watchlist(f.school_a, "Sidorov Petr") is None
    assert services.match_watchlist(f.school_a, "Kim Elena") is None


def test_rosters_duty_admin_is_alerted_when_there_is_one(f):
    from safetyops.time import school_today

    admin = f.user("teacher", phone="+996555000009")
    f.user("director", phone="+996555000001")
    post = f.post(kind="duty_admin", start="07:00", end="18:00")
    f.shift(post=post, user=admin, day=school_today(f.school_a))
    assert services.duty_admins(f.school_a, school_today(f.school_a)) == [admin]


# --- pages --------------------------------------------------------------------------------------


def test_guard_logs_an_entry_through_the_form(client, as_role, f):
    guard = as_role("guard")
    host = f.user("teacher")
    page = client.get("/gate/new").get_data(as_text=True)
    client_id = re.search(r'name="client_id" type="hidden" value="([0-9a-f]+)"', page).group(1)
    data = {"client_id": client_id, "kind": "visitor", "name": "Omurbekov Talant", "doc_type": "id_card",
            "doc_last4": "7788", "purpose": "Parents' meeting", "host_id": str(host.id)}
    resp = client.submit("/gate/new", data)
    assert resp.status_code == 302
    resp = client.submit("/gate/new", data, page="/gate/new")  # the phone sent it twice
    assert resp.status_code == 302
    rows = entries(f.school_a)
    assert len(rows) == 1 and rows[0].guard_id == guard.id and rows[0].host_id == host.id
    home = client.get("/gate/").get_data(as_text=True)
    assert "Omurbekov Talant" in home


def test_bad_input_is_shown_beside_the_field_with_what_was_typed(client, as_role, f):
    as_role("guard")
    resp = client.submit("/gate/new", {"client_id": "z", "kind": "visitor", "name": "Typed Name",
                                       "doc_type": "passport", "doc_last4": "ID1234567"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "never the whole number" in html and 'value="Typed Name"' in html
    resp = client.submit("/gate/new", {"client_id": "z", "kind": "visitor", "name": ""}, page="/gate/new")
    assert "Type the name." in resp.get_data(as_text=True)
    assert entries(f.school_a) == []


def test_sign_out_through_the_page_twice_says_already(client, as_role, f):
    as_role("guard")
    e = f.gate_entry(name="Guest One")
    resp = client.submit(f"/gate/entries/{e.id}/out", {}, page=f"/gate/entries/{e.id}")
    assert resp.status_code == 302 and e.out_dt is not None
    resp = client.submit(f"/gate/entries/{e.id}/out", {}, page=f"/gate/entries/{e.id}", follow_redirects=True)
    assert "Already signed out." in resp.get_data(as_text=True)


def test_watchlist_warning_on_the_entry_page(client, as_role, f):
    as_role("guard")
    f.watch(name="Сидоров Пётр", note="Court order 12/2026")
    resp = client.submit("/gate/new", {"client_id": "w1", "kind": "visitor", "name": "Sidorov Petr"},
                         follow_redirects=True, page="/gate/new")
    html = resp.get_data(as_text=True)
    assert "Watchlist match" in html and "Court order 12/2026" in html
    e = entries(f.school_a)[0]
    resp = client.submit(f"/gate/entries/{e.id}/refuse", {}, page=f"/gate/entries/{e.id}")
    assert e.is_refused and e.out_dt is not None


def test_suggest_gives_recent_visitors_and_the_watch_flag(client, as_role, f):
    as_role("guard")
    f.gate_entry(name="Мамытова Жылдыз", out_dt=None, purpose="Delivery of books")
    f.watch(name="Сидоров Пётр")
    data = client.get("/gate/suggest?q=mamyt").get_json()
    assert [i["name"] for i in data["items"]] == ["Мамытова Жылдыз"] and data["watch"] is None
    data = client.get("/gate/suggest?q=Sidorov Petr").get_json()
    assert data["watch"]["name"] == "Сидоров Пётр"


@time_machine.travel(NOON, tick=False)
def test_repeat_visitor_is_prefilled_from_a_recent_entry(client, as_role, f):
    as_role("guard")
    old = f.gate_entry(name="Repeat Visitor", purpose="Plumbing", kind="contractor",
                       in_dt=NOON - dt.timedelta(days=3), out_dt=NOON - dt.timedelta(days=3, hours=-1))
    html = client.get("/gate/new").get_data(as_text=True)
    assert f'href="/gate/new?from={old.id}"' in html  # one tap on the recent visitor…
    html = client.get(f"/gate/new?from={old.id}").get_data(as_text=True)
    assert 'value="Repeat Visitor"' in html and 'value="Plumbing"' in html  # …and one on Save
    assert '<option selected value="contractor">' in html
    ancient = f.gate_entry(name="Ancient Visitor", in_dt=NOON - dt.timedelta(days=200),
                           out_dt=NOON - dt.timedelta(days=200, hours=-1))
    assert client.get(f"/gate/new?from={ancient.id}").status_code == 404


def test_viewing_an_entry_is_audited(client, as_role, f):
    user = as_role("director")
    e = f.gate_entry()
    client.get(f"/gate/entries/{e.id}")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "gate.entry.read")).all()
    assert [(ev.user_id, ev.object_id) for ev in events] == [(user.id, str(e.id))]


def test_a_guard_reads_today_not_the_archive(client, as_role, f):
    as_role("guard")
    old = f.gate_entry(name="Old Visit", in_dt=dt.datetime(2026, 1, 5, 5, tzinfo=dt.UTC),
                       out_dt=dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC))
    assert client.get(f"/gate/entries/{old.id}").status_code == 404
    assert "Old Visit" not in client.get("/gate/entries?q=old").get_data(as_text=True)


def test_the_director_searches_any_day(client, as_role, f):
    as_role("director")
    f.gate_entry(name="Old Visit", in_dt=dt.datetime(2026, 1, 5, 5, tzinfo=dt.UTC),
                 out_dt=dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC))
    assert "Old Visit" in client.get("/gate/entries?q=%D0%BE%D0%BB%D0%B4").get_data(as_text=True)  # "олд"


def test_teacher_reads_no_visitor_data(client, as_role, f):
    as_role("teacher")
    e = f.gate_entry()
    for url in ("/gate/", f"/gate/entries/{e.id}", "/gate/entries", "/gate/suggest?q=iv", "/gate/report",
                "/gate/counts", "/gate/watchlist"):
        assert client.get(url).status_code == 403, url


def test_the_inspector_sees_counts_and_no_names(client, as_role, f):
    as_role("inspector")
    f.gate_entry(name="Secret Name")
    resp = client.get("/gate/counts")
    assert resp.status_code == 200 and "Secret Name" not in resp.get_data(as_text=True)
    assert client.get("/gate/report").status_code == 403


def test_name_search_by_any_word_in_any_script(f):
    e = f.gate_entry(name="Жумабаев Эрлан Маратович")
    f.gate_entry(f.school_b, name="Жумабаев Эрлан")
    assert services.search(f.school_a, "erlan") == [e]
    assert services.search(f.school_a, "Джумаб Эрл") == [e]
    assert services.search(f.school_a, "maratovich jumabaev") == [e]
    assert services.search(f.school_a, "petr") == []
    sweeps.anonymise_expired(f.school_a, e.in_dt + dt.timedelta(days=400))
    assert services.search(f.school_a, "erlan") == []


@time_machine.travel(NOON, tick=False)
def test_today_cards(client, as_role, f):
    as_role("guard")
    f.gate_entry(name="Guest")
    assert "On site now" in client.get("/").get_data(as_text=True)
    with time_machine.travel(NOON + dt.timedelta(hours=10), tick=False):  # 20:00, after closing
        assert "Closing: confirm who is still inside" in client.get("/").get_data(as_text=True)
    w = f.watch(name="Bad Guy")
    f.gate_entry(name="Bad Guy", watchlist_id=w.id)
    as_role("director")
    assert "Watchlist matches at the gate today" in client.get("/").get_data(as_text=True)
