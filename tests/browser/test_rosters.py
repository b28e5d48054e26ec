"""Duty rosters on a phone: a teacher sees today's duty, checks in and offers a swap; a colleague
accepts; the director approves.  Selectors avoid translated text (the phones speak Kyrgyz)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from safetyops.auth.models import User
from safetyops.demo import SCHOOL_NAME
from safetyops.extensions import db
from safetyops.rosters import services
from safetyops.rosters.models import DaysRule, Post, PostKind, Shift
from safetyops.schools.models import School
from safetyops.time import school_now
from tests.browser.conftest import REPO, check_page, sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "docs" / "screenshots"


def _post(school, name, start: dt.time, end: dt.time) -> Post:
    post = db.session.scalar(sa.select(Post).where(Post.school_id == school.id, Post.name == name))
    if post is None:
        post = Post(school_id=school.id, name=name, kind=PostKind.CUSTOM, days=DaysRule.EVERY_DAY,
                    eligible_roles="teacher", weekday_mask=0b1111111, start_time=start, end_time=end, position=99)
        db.session.add(post)
    post.start_time, post.end_time = start, end
    db.session.flush()
    return post


def _clear(user_ids, start, end):
    for s in db.session.scalars(sa.select(Shift).where(Shift.user_id.in_(user_ids), Shift.start_dt < end,
                                                       Shift.end_dt > start)):
        db.session.delete(s)
    db.session.flush()


@pytest.fixture
def duties(live_server):
    """The demo teacher on duty right now (at "Browser duty") and in two days (at "Browser later")."""
    with live_server.app.app_context():
        school = db.session.scalar(sa.select(School).where(School.name == SCHOOL_NAME))
        teacher = db.session.scalar(sa.select(User).where(User.username == "teacher"))
        colleague = db.session.scalar(sa.select(User).where(User.username == "teacher2"))
        now = school_now(school).replace(second=0, microsecond=0)
        start = (now - dt.timedelta(minutes=5))
        end = (now + dt.timedelta(minutes=90))
        today = start.date()
        now_post = _post(school, "Browser duty", start.time(), end.time())
        later_post = _post(school, "Browser later", dt.time(10, 0), dt.time(11, 0))
        later_day = today + dt.timedelta(days=2)
        for post, day in ((now_post, today), (later_post, later_day)):
            s, e = services.shift_window(post, day, school.timezone)
            db.session.execute(sa.delete(Shift).where(Shift.post_id == post.id, Shift.day == day))
            _clear([teacher.id, colleague.id], s, e)
            services.assign(None, school, post, day, teacher.id)
        ids = {"school_id": school.id, "later_post": later_post.id, "later_day": later_day,
               "colleague": colleague.id}
        db.session.commit()
        db.session.remove()  # hold no SQLite lock while the browser works
    return ids


def test_check_in_offer_accept_approve(new_phone, duties, live_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    teacher = new_phone()
    sign_in(teacher, "teacher")
    card = teacher.locator("li.card", has_text="Browser duty")
    card.wait_for()
    check_page(teacher)
    teacher.screenshot(path=str(SCREENSHOTS / "rosters_home_teacher.png"), full_page=True, scale="css")
    with teacher.expect_navigation():
        card.locator("form[action$='/checkin'] button").click()
    assert teacher.locator("li.card", has_text="Browser duty").locator(".checked-in").count() == 1

    teacher.goto("/rosters/")
    later = teacher.locator("li.list-item", has_text="Browser later")
    check_page(teacher)
    teacher.screenshot(path=str(SCREENSHOTS / "rosters_my_duty.png"), full_page=True, scale="css")
    with teacher.expect_navigation():
        later.locator("form[action$='/offer'] button").click()
    assert teacher.url.endswith("/rosters/swaps")
    check_page(teacher)

    colleague = new_phone()
    sign_in(colleague, "teacher2")
    colleague.goto("/rosters/swaps")
    offer = colleague.locator("li.list-item", has_text="Browser later")
    with colleague.expect_navigation():
        offer.locator("form[action$='/accept'] button").click()
    assert colleague.locator(".flash-success").count() == 1, colleague.inner_text("main")[:500]

    director = new_phone()
    sign_in(director, "director")
    director.goto("/rosters/swaps")
    check_page(director)
    waiting = director.locator("li.list-item", has_text="Browser later")
    with director.expect_navigation():
        waiting.locator("form[action$='/approve'] button").click()
    assert director.locator(".flash-success").count() == 1

    with live_server.app.app_context():
        shift = db.session.scalar(sa.select(Shift).where(Shift.post_id == duties["later_post"],
                                                         Shift.day == duties["later_day"]))
        assert shift.user_id == duties["colleague"] and shift.is_manual
        db.session.remove()

    director.goto("/rosters/week")
    check_page(director)
    director.screenshot(path=str(SCREENSHOTS / "rosters_week_director.png"), full_page=False, scale="css")


def test_director_pages_pass_the_checkers(new_phone, live_server):
    director = new_phone()
    sign_in(director, "director")
    for path in ("/rosters/generate", "/rosters/posts", "/rosters/posts/new", "/rosters/settings",
                 "/rosters/unavailability", "/rosters/import", "/rosters/print", "/rosters/checkins",
                 "/rosters/calendar"):
        director.goto(path)
        check_page(director)
    director.goto("/rosters/generate")
    with director.expect_navigation():
        director.click("form.card button[type=submit]")
    assert "/rosters/runs/" in director.url
    check_page(director)
    director.screenshot(path=str(SCREENSHOTS / "rosters_preview_director.png"), full_page=False, scale="css")
