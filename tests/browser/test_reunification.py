"""Issue 15, reunification, at phone size (360×640): a teacher raises "earthquake", the director runs the
roll-call of the teacher's class from the board and gives the all clear; then the class is reunited: the
teacher hands one child to a listed guardian, the guard at the gate hands another to a neighbour (name and the
last 4 characters of a document), and the director's open board counts one child fewer each time."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import REPO, check_page, sign_in

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
SMALL = {"viewport": {"width": 360, "height": 640}}


def _handovers(live_server):
    from safetyops.drills.models import Handover
    from safetyops.extensions import db

    def read():
        return [(h.is_guardian, h.taken_by_name, h.doc_last4) for h in
                db.session.scalars(sa.select(Handover).order_by(Handover.id))]

    return live_server.query(read)


def _still(page, klass: str) -> str:
    return page.locator(f".reunion-counts tr[data-class='{klass}'] .reunion-still").inner_text().strip()


def test_a_class_is_reunited_after_the_all_clear(new_phone, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    teacher = new_phone(**SMALL)
    sign_in(teacher, "teacher")  # homeroom teacher of 5А
    teacher.goto("/drills/my")
    with teacher.expect_navigation():
        teacher.click("#alarm-button")
    with teacher.expect_navigation():
        teacher.click("a.alarm-earthquake")
    with teacher.expect_navigation():
        teacher.click("#alarm-confirm")

    # the director: the banner opens the board; roll-call of 5А from the board, then the all clear
    director = new_phone(**SMALL)
    sign_in(director, "director")
    with director.expect_navigation():
        director.click("#alarm-banner-link")
    assert re.search(r"/drills/\d+/board$", director.url)
    board_url = director.url
    with director.expect_navigation():
        director.click(".drill-waiting a.list-link:has(.title:text-is('5А'))")
    with director.expect_navigation():
        director.click("form.drill-report-form button[type=submit]")
    with director.expect_navigation():
        director.click("form[action$='/all-clear'] button[type=submit]")
    if "/all-clear" in director.url:  # asked to confirm
        with director.expect_navigation():
            director.click("form[action$='/all-clear'] input[name=confirmed] ~ button[type=submit]")
    expect(director).to_have_url(re.compile(r"/drills/\d+$"))

    # the board now counts per class who is still with the school, and keeps following the hand-overs
    director.goto(board_url)
    expect(director.locator(".reunion-counts")).to_be_visible()
    start = int(_still(director, "5А"))
    assert start > 0
    check_page(director)

    # the teacher: "My class" leads to reunification; a search in Latin finds a Cyrillic name
    teacher.goto("/drills/my")
    with teacher.expect_navigation():
        teacher.click("#reunion-link")
    teacher.fill("#q", "Jumabaev")
    with teacher.expect_navigation():
        teacher.click("form.reunion-search button[type=submit]")
    expect(teacher.locator("a.reunion-child")).to_have_count(1)
    check_page(teacher)
    teacher.screenshot(path=str(SHOTS / "reunification-search-360.png"), full_page=False)
    assert teacher.evaluate("() => document.documentElement.scrollWidth") <= 360
    with teacher.expect_navigation():
        teacher.click("a.reunion-child")
    check_page(teacher)
    teacher.screenshot(path=str(SHOTS / "reunification-handover-360.png"), full_page=True)
    teacher.check("input[name=guardian_id] >> nth=0")  # the first listed guardian
    with teacher.expect_navigation():
        teacher.click("#handover-submit")
    expect(director.locator(".reunion-counts tr[data-class='5А'] .reunion-still")).to_have_text(
        str(start - 1), timeout=20000)

    # the guard at the gate: the alarm screen leads to reunification; another adult takes a child
    guard = new_phone(**SMALL)
    sign_in(guard, "guard")
    guard.goto("/alarm")
    with guard.expect_navigation():
        guard.click("#reunion-link")
    guard.fill("#q", "Иванова")
    with guard.expect_navigation():
        guard.click("form.reunion-search button[type=submit]")
    with guard.expect_navigation():
        guard.click("a.reunion-child >> nth=0")
    handover_url = guard.url
    guard.check("input[name=guardian_id][value='']")  # another adult
    guard.fill("input[name=adult_name]", "Сосед Бакыт Асанов")
    guard.fill("input[name=relation]", "сосед")
    guard.fill("input[name=doc_last4]", "4521")
    with guard.expect_navigation():
        guard.click("#handover-submit")
    expect(director.locator(".reunion-counts tr[data-class='5А'] .reunion-still")).to_have_text(
        str(start - 2), timeout=20000)
    director.screenshot(path=str(SHOTS / "reunification-board-360.png"), full_page=False)

    # the same child again: a clear message, nothing stored twice
    guard.goto(handover_url)
    expect(guard.locator("#handed-over")).to_be_visible()
    check_page(guard)

    assert _handovers(live_server) == [(True, "Жумабаева Айгүл", None), (False, "Сосед Бакыт Асанов", "4521")]

    # the after-action page has the reunification times; the director's class list passes the checkers too
    director.goto(re.sub(r"/board$", "", board_url))
    expect(director.locator("#reunion-first")).to_be_visible()
    check_page(director)
    director.goto("/drills/classes")
    with director.expect_navigation():
        director.click("a[href$='/students'] >> nth=4")  # 5А, the fifth class
    expect(director.locator(".reunion-guardian").first).to_be_visible()
    check_page(director)


# --- with no signal (the offline issue): the gate phone keeps the screen and the class pages -------------------

def _open_reunification(live_server) -> int:
    """An earthquake drill whose all clear was just given: reunification is open."""
    from safetyops.auth.models import User
    from safetyops.drills import services
    from safetyops.extensions import db
    from safetyops.schools.models import School

    def run():
        director = db.session.scalar(sa.select(User).where(User.username == "director"))
        school = db.session.scalar(sa.select(School).order_by(School.id))
        drill = services.start_drill(director, school, kind="earthquake")
        services.all_clear(director, school, drill, confirmed=True)
        db.session.commit()
        return drill.id

    return live_server.query(run)


def _close_reunification(live_server, drill_id: int) -> None:
    """Two days later: the other tests' phones no longer keep this drill's pages."""
    import datetime as dt

    from safetyops.drills.models import Drill
    from safetyops.extensions import db

    def run():
        drill = db.session.get(Drill, drill_id)
        drill.started_dt -= dt.timedelta(days=2)
        drill.ended_dt -= dt.timedelta(days=2)
        db.session.commit()

    live_server.query(run)


def _handovers_of(live_server, drill_id: int):
    from safetyops.drills.models import Handover, Student
    from safetyops.extensions import db

    def read():
        return db.session.execute(
            sa.select(Student.full_name, Handover.is_guardian, Handover.taken_by_name)
            .join(Student, Student.id == Handover.student_id).where(Handover.drill_id == drill_id)).all()

    return [tuple(r) for r in live_server.query(read)]


#: Spellings the gate sees: Kyrgyz and Kazakh letters, Latin variants, apostrophes, hyphens, capitals.
FOLDED = ["Жумабаев Нурбек", "Dzhumabaev Nur", "Щукин Юлия", "Ёлкина Цой", "Хасан-Өмүрбеков", "Әлихан Қасымұлы",
          "Ғани Іңкәр", "Müller Öztürk", "Yusupova Leyla", "Шахзода Яхъяева", "O'Brien Дьяченко", "ЖУМАБАЕВ",
          "Xenia Wójcik", "Чыңгыз Айтматов", "Ұлжан Һадиша", "Zhanna  Dzhaksybekova", "Сейткали уулу Бакыт 2"]


def test_the_gate_phone_hands_a_child_over_with_no_signal_stored_once(new_phone, live_server):
    from safetyops.gate.names import name_key
    from tests.browser.test_offline import LONG, _all_sent, _ready_offline, _waiting

    SHOTS.mkdir(parents=True, exist_ok=True)
    drill_id = _open_reunification(live_server)
    try:
        guard = new_phone(**SMALL)
        sign_in(guard, "guard")
        _ready_offline(guard)  # the worker has kept today's pages, reunification's among them
        guard.goto(f"/drills/{drill_id}/reunion")
        _ready_offline(guard)
        class_url = guard.locator("a.reunion-class-link[data-class='5А']").get_attribute("href")
        guard.wait_for_function("async (u) => !!(await caches.match(u))", arg=class_url, timeout=LONG)
        check_page(guard)
        # the phone's search folds names as the server does (safetyops/gate/names.py)
        keys = guard.evaluate("(ns) => ns.map((n) => window.SafetyNames.key(n))", FOLDED)
        assert keys == [name_key(n) for n in FOLDED]

        # the earthquake took the mobile network: the guard finds the child on the phone's own copy
        guard.context.set_offline(True)
        guard.fill("#q", "Jumabaev")
        guard.click("form.reunion-search button[type=submit]")
        expect(guard.locator("#reunion-local")).to_be_visible(timeout=LONG)
        expect(guard.locator("a.reunion-local-child")).to_have_count(1)
        check_page(guard)
        with guard.expect_navigation():
            guard.click("a.reunion-local-child")
        assert class_url in guard.url  # the class page, from the phone's cache
        child = guard.locator(".reunion-kid:has(.title:text-is('Жумабаев Нурбек'))")
        expect(child.locator("details")).to_have_attribute("open", "")
        check_page(guard)
        guard.screenshot(path=str(SHOTS / "reunification-offline-class-360.png"), full_page=False)

        # a listed guardian takes the child: the hand-over waits on the phone, the list marks it
        child.locator("input[name=guardian_id] >> nth=0").check()
        child.locator("button[type=submit]").click()
        _waiting(guard, 1)
        expect(guard.locator(".outbox-queued")).to_be_visible()
        expect(child).to_have_class(re.compile(r"\bis-queued\b"))
        expect(child.locator(".reunion-local")).to_contain_text("Жумабаева Айгүл")
        check_page(guard)
        guard.evaluate("() => window.scrollTo(0, 0)")
        guard.screenshot(path=str(SHOTS / "reunification-offline-queued-360.png"), full_page=True)
        assert _handovers_of(live_server, drill_id) == []

        # the app closed and opened again, still with no signal: the mark stays (the outbox is on the phone)
        guard.reload()
        child = guard.locator(".reunion-kid:has(.title:text-is('Жумабаев Нурбек'))")
        expect(child).to_have_class(re.compile(r"\bis-queued\b"), timeout=LONG)
        _waiting(guard, 1)

        # the network is back: sent once, marked sent, one row on the server
        guard.context.set_offline(False)
        _all_sent(guard)
        expect(child).to_have_class(re.compile(r"\bis-sent\b"), timeout=LONG)
        assert _handovers_of(live_server, drill_id) == [("Жумабаев Нурбек", True, "Жумабаева Айгүл")]
        guard.reload()  # the server's list now says who took the child
        expect(guard.locator(".reunion-kid.is-done:has(.title:text-is('Жумабаев Нурбек'))")).to_be_visible()
        assert guard.evaluate("() => document.documentElement.scrollWidth") <= 360
        assert _handovers_of(live_server, drill_id) == [("Жумабаев Нурбек", True, "Жумабаева Айгүл")]
    finally:
        _close_reunification(live_server, drill_id)
