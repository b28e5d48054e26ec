"""Roster rules: who is on duty, database guards, generation, swaps, check-in, iCal."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from safetyops.errors_service import ServiceError
from safetyops.extensions import db
from safetyops.rosters import feed, services, swaps
from safetyops.rosters.models import RosterSettings, Shift, Swap, SwapStatus

MONDAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _english(app_ctx):
    """Messages are matched in English, whatever the default language."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield

#: 07:00 in Bishkek on Monday (UTC+6).
MONDAY_7AM = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


def _settings(school, **kw):
    s = RosterSettings(school_id=school.id, **{"school_weekday_mask": 0b0011111, "max_per_week": 2,
                                               "rest_hours_after_night": 24, "is_swap_approval_required": True,
                                               "checkin_grace_minutes": 10, **kw})
    db.session.add(s)
    db.session.flush()
    return s


# --- the cross-area interface ---------------------------------------------------------------


def test_on_duty_and_duties_of_read_published_shifts_only(f):
    zone = f.zone()
    corridor = f.post(name="2nd floor", zone=zone)
    gate = f.post(name="Gate", kind="gate_day", roles="guard", start="07:00", end="19:00")
    teacher, guard, drafty = f.user("teacher"), f.user("guard"), f.user("teacher")
    f.shift(corridor, teacher, MONDAY)
    f.shift(gate, guard, MONDAY)
    f.shift(f.post(), drafty, MONDAY, published=False)
    assert {u.id for u in services.on_duty(f.school_a, MONDAY)} == {teacher.id, guard.id}
    assert [u.id for u in services.on_duty(f.school_a, MONDAY, zone_id=zone.id)] == [teacher.id]
    assert [u.id for u in services.on_duty(f.school_a, MONDAY, post_kind="gate_day")] == [guard.id]
    assert services.on_duty(f.school_a, MONDAY + dt.timedelta(days=1)) == []
    assert services.on_duty(f.school_b, MONDAY) == []
    (mine,) = services.duties_of(teacher, f.school_a, MONDAY)
    assert mine.post.name == "2nd floor" and mine.post.zone_id == zone.id
    assert mine.start_dt == dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 08:00 Bishkek
    assert services.duties_of(drafty, f.school_a, MONDAY) == []


def test_night_shift_crosses_midnight(f):
    night = f.post(kind="night_guard", start="20:00", end="08:00", roles="guard")
    s = f.shift(night, f.user("guard"), MONDAY)
    assert s.end_dt - s.start_dt == dt.timedelta(hours=12)
    assert s.end_dt == dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


# --- database guards --------------------------------------------------------------------------


def test_database_refuses_overlapping_shifts_of_one_person(f):
    teacher = f.user("teacher")
    f.shift(f.post(start="08:00", end="13:00"), teacher, MONDAY)
    f.shift(f.post(start="13:00", end="15:00"), teacher, MONDAY)  # touching is fine
    f.shift(f.post(start="09:00", end="10:00"), f.user("teacher"), MONDAY)  # someone else is fine
    with pytest.raises(IntegrityError), db.session.begin_nested():
        f.shift(f.post(start="12:00", end="14:00"), teacher, MONDAY)


def test_database_refuses_moving_a_shift_onto_a_busy_person(f):
    a, b = f.user("teacher"), f.user("teacher")
    f.shift(f.post(start="08:00", end="13:00"), a, MONDAY)
    other = f.shift(f.post(start="10:00", end="11:00"), b, MONDAY)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        other.user_id = a.id
        db.session.flush()


def test_database_refuses_filling_a_post_twice_a_day(f):
    post = f.post()
    f.shift(post, f.user("teacher"), MONDAY)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        f.shift(post, f.user("teacher"), MONDAY)


# --- hand-made shifts --------------------------------------------------------------------------


def test_assign_gives_clear_messages(f):
    director, teacher = f.user("director"), f.user("teacher")
    p1, p2 = f.post(start="08:00", end="13:00"), f.post(start="12:00", end="14:00")
    services.assign(director, f.school_a, p1, MONDAY, teacher.id)
    with pytest.raises(ServiceError, match="already on duty"):
        services.assign(director, f.school_a, p2, MONDAY, teacher.id)
    with pytest.raises(ServiceError, match="already has someone"):
        services.assign(director, f.school_a, p1, MONDAY, f.user("teacher").id)
    stranger = f.user("teacher", f.school_b)
    with pytest.raises(ServiceError, match="works at this school"):
        services.assign(director, f.school_a, p2, MONDAY, stranger.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 1


# --- generation ------------------------------------------------------------------------------------


def test_generate_fills_balanced_and_drafts_until_published(f):
    _settings(f.school_a, max_per_week=5)
    director = f.user("director")
    teachers = [f.user("teacher") for _ in range(4)]
    f.post(name="A", days="school_days")
    f.post(name="B", days="school_days", start="13:00", end="17:00")
    with time_machine.travel(MONDAY_7AM - dt.timedelta(days=3), tick=False):
        run = services.generate(director, f.school_a, MONDAY, MONDAY + dt.timedelta(days=13))
    assert run.report["slots"] == 20 and run.report["filled"] == 20 and run.report["unfilled"] == []
    counts = [run.report["counts"][str(t.id)] for t in teachers]
    assert sum(counts) == 20 and max(counts) - min(counts) <= 1
    assert services.on_duty(f.school_a, MONDAY) == []  # still a draft
    assert services.publish(director, f.school_a, run) == 20
    assert len(services.on_duty(f.school_a, MONDAY)) == 2
    saturday = MONDAY + dt.timedelta(days=5)
    assert services.shifts_between(f.school_a, saturday, saturday + dt.timedelta(days=1)) == []


def test_generate_honours_unavailability_week_limit_and_rest(f):
    _settings(f.school_a, max_per_week=2, rest_hours_after_night=24)
    director = f.user("director")
    f.user("guard"), f.user("guard")
    g3 = f.user("guard")
    f.post(name="Night", kind="night_guard", start="20:00", end="08:00", roles="guard")
    f.post(name="Gate", kind="gate_day", start="07:00", end="19:00", roles="guard")
    services.add_unavailability(director, f.school_a, user_id=g3.id, starts_on=MONDAY, ends_on=MONDAY + dt.timedelta(2))
    with time_machine.travel(MONDAY_7AM - dt.timedelta(days=3), tick=False):
        run = services.generate(director, f.school_a, MONDAY, MONDAY + dt.timedelta(days=6))
    shifts = services.shifts_between(f.school_a, MONDAY, MONDAY + dt.timedelta(days=6), published_only=False)
    assert not [s for s in shifts if s.user_id == g3.id and s.day <= MONDAY + dt.timedelta(2)]
    per_person = {}
    for s in shifts:
        per_person.setdefault(s.user_id, []).append(s)
    for mine in per_person.values():
        assert len(mine) <= 2
        for night in [s for s in mine if s.post.crosses_midnight]:
            assert not [s for s in mine if night.end_dt <= s.start_dt < night.end_dt + dt.timedelta(hours=24)]
    # 14 slots, 3 guards × 2 = 6 at most: the rest are listed with reasons.
    assert run.report["filled"] == len(shifts) <= 6
    assert len(run.report["unfilled"]) == 14 - len(shifts)
    reasons = {k for u in run.report["unfilled"] for k in u["reasons"]}
    assert "week_limit" in reasons


def test_generate_reports_posts_nobody_may_stand(f):
    director = f.user("director")
    f.post(name="Lab", roles="nurse")
    run = services.generate(director, f.school_a, MONDAY, MONDAY)
    assert run.report["unfilled"] == [{"post_id": run.report["unfilled"][0]["post_id"], "post": "Lab",
                                       "day": MONDAY.isoformat(), "reasons": {}}]
    assert "no staff" in services.unfilled_reason_text({})


def test_generate_bad_ranges_are_messages(f):
    director = f.user("director")
    with pytest.raises(ServiceError, match="Add the duty posts"):
        services.generate(director, f.school_a, MONDAY, MONDAY)
    f.post()
    with pytest.raises(ServiceError, match="before the start"):
        services.generate(director, f.school_a, MONDAY, MONDAY - dt.timedelta(days=1))
    with pytest.raises(ServiceError, match="at most"):
        services.generate(director, f.school_a, MONDAY, MONDAY + dt.timedelta(days=400))


def test_regenerating_keeps_hand_made_and_past_shifts(f):
    _settings(f.school_a, max_per_week=7)
    director = f.user("director")
    a, c = f.user("teacher"), f.user("teacher")
    f.user("teacher")
    post = f.post()
    with time_machine.travel(MONDAY_7AM - dt.timedelta(days=3), tick=False):
        run = services.generate(director, f.school_a, MONDAY, MONDAY + dt.timedelta(days=4))
        services.publish(director, f.school_a, run)
        wednesday = MONDAY + dt.timedelta(days=2)
        wed_shift = db.session.scalar(sa.select(Shift).where(Shift.day == wednesday))
        services.reassign(director, f.school_a, wed_shift, c.id if wed_shift.user_id != c.id else a.id)
        hand_user = wed_shift.user_id
    with time_machine.travel(MONDAY_7AM + dt.timedelta(days=1, hours=3), tick=False):  # Tuesday 10:00
        before = {s.day: s.user_id for s in services.shifts_between(f.school_a, MONDAY, MONDAY + dt.timedelta(4))}
        services.generate(director, f.school_a, MONDAY, MONDAY + dt.timedelta(days=4), seed=7)
    after = {s.day: (s.user_id, s.is_published)
             for s in services.shifts_between(f.school_a, MONDAY, MONDAY + dt.timedelta(4), published_only=False)}
    assert after[MONDAY] == (before[MONDAY], True)  # past
    assert after[MONDAY + dt.timedelta(1)] == (before[MONDAY + dt.timedelta(1)], True)  # started
    assert after[wednesday] == (hand_user, True)  # hand-made
    assert after[MONDAY + dt.timedelta(3)][1] is False  # regenerated: a draft again
    assert post.id


# --- check-in ------------------------------------------------------------------------------------------


def test_check_in_window_and_missing_check_ins(f):
    _settings(f.school_a)
    teacher, other = f.user("teacher"), f.user("teacher")
    mine = f.shift(f.post(start="08:00", end="13:00"), teacher, MONDAY)
    late = f.shift(f.post(start="08:00", end="13:00"), other, MONDAY)
    with pytest.raises(ServiceError, match="Too early"):
        services.check_in(teacher, f.school_a, mine, now=MONDAY_7AM)
    with pytest.raises(ServiceError, match="not your duty"):
        services.check_in(other, f.school_a, mine, now=MONDAY_7AM + dt.timedelta(hours=1))
    services.check_in(teacher, f.school_a, mine, now=MONDAY_7AM + dt.timedelta(minutes=45))
    assert mine.checked_in_dt is not None
    assert services.missing_checkins(f.school_a, now=MONDAY_7AM + dt.timedelta(minutes=69)) == []
    assert services.missing_checkins(f.school_a, now=MONDAY_7AM + dt.timedelta(minutes=70)) == [late]
    assert services.missing_checkins(f.school_a, now=MONDAY_7AM + dt.timedelta(hours=6)) == []
    with pytest.raises(ServiceError, match="over"):
        services.check_in(other, f.school_a, late, now=MONDAY_7AM + dt.timedelta(hours=6))


# --- swaps ---------------------------------------------------------------------------------------------


def _outbox_kinds():
    from safetyops.notifications.models import OutboundMessage

    return sorted((m.kind, m.user_id) for m in db.session.scalars(sa.select(OutboundMessage)))


def test_swap_offer_accept_approve_notifies_both(f):
    _settings(f.school_a)
    teacher, colleague = f.user("teacher", phone="+996555000001"), f.user("teacher", phone="+996555000002")
    deputy = f.user("deputy")
    shift = f.shift(f.post(), teacher, MONDAY)
    with time_machine.travel(MONDAY_7AM - dt.timedelta(days=1), tick=False):
        swap = swaps.offer(teacher, f.school_a, shift)
        with pytest.raises(ServiceError, match="already offered"):
            swaps.offer(teacher, f.school_a, shift)
        with pytest.raises(ServiceError, match="your own"):
            swaps.accept(teacher, f.school_a, swap)
        swaps.accept(colleague, f.school_a, swap)
        assert swap.status == SwapStatus.ACCEPTED and shift.user_id == teacher.id
        with pytest.raises(ServiceError, match="Only the duty administrator"):
            swaps.approve(f.user("teacher"), f.school_a, swap, "teacher")
        swaps.approve(deputy, f.school_a, swap, "deputy")
    assert swap.status == SwapStatus.APPROVED and shift.user_id == colleague.id and shift.is_manual
    assert _outbox_kinds() == sorted([("rosters.swap_accepted", teacher.id), ("rosters.swap_done", teacher.id),
                                      ("rosters.swap_taken", colleague.id)])


def test_swap_without_approval_is_immediate_and_duty_admin_may_approve(f):
    _settings(f.school_a, is_swap_approval_required=False)
    teacher, colleague = f.user("teacher"), f.user("teacher")
    shift = f.shift(f.post(start="14:00", end="16:00"), teacher, MONDAY)
    with time_machine.travel(MONDAY_7AM, tick=False):
        swap = swaps.accept(colleague, f.school_a, swaps.offer(teacher, f.school_a, shift))
    assert swap.status == SwapStatus.APPROVED and shift.user_id == colleague.id


def test_duty_admin_of_the_day_approves(f):
    _settings(f.school_a)
    admin_teacher, teacher, colleague = f.user("teacher"), f.user("teacher"), f.user("teacher")
    f.shift(f.post(kind="duty_admin", start="07:30", end="08:00", roles="teacher"), admin_teacher, MONDAY)
    shift = f.shift(f.post(start="14:00", end="16:00"), teacher, MONDAY)
    with time_machine.travel(MONDAY_7AM, tick=False):
        swap = swaps.accept(colleague, f.school_a, swaps.offer(teacher, f.school_a, shift))
        swaps.approve(admin_teacher, f.school_a, swap, "teacher")
    assert shift.user_id == colleague.id


def test_swap_refusals(f):
    _settings(f.school_a)
    teacher, colleague, guard = f.user("teacher"), f.user("teacher"), f.user("guard")
    shift = f.shift(f.post(start="08:00", end="13:00"), teacher, MONDAY)
    f.shift(f.post(start="09:00", end="10:00"), colleague, MONDAY)
    with time_machine.travel(MONDAY_7AM, tick=False):
        with pytest.raises(ServiceError, match="only your own"):
            swaps.offer(colleague, f.school_a, shift)
        swap = swaps.offer(teacher, f.school_a, shift)
        with pytest.raises(ServiceError, match="already on duty"):
            swaps.accept(colleague, f.school_a, swap)
        with pytest.raises(ServiceError, match="not one you can stand"):
            swaps.accept(guard, f.school_a, swap)
        swaps.decline(teacher, f.school_a, swap, "teacher")
        assert swap.status == SwapStatus.CANCELLED
    with time_machine.travel(MONDAY_7AM + dt.timedelta(hours=2), tick=False):
        with pytest.raises(ServiceError, match="already started"):
            swaps.offer(teacher, f.school_a, shift)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Swap)) == 1


# --- iCal ---------------------------------------------------------------------------------------------


def test_ical_feed_lists_my_published_duties_and_revokes(f):
    import icalendar

    teacher = f.user("teacher")
    f.shift(f.post(name="Canteen"), teacher, MONDAY)
    f.shift(f.post(name="Draft"), teacher, MONDAY + dt.timedelta(1), published=False)
    f.shift(f.post(name="Not mine"), f.user("teacher"), MONDAY)
    token = feed.renew_feed_token(teacher, f.school_a)
    with time_machine.travel(MONDAY_7AM, tick=False):
        cal = icalendar.Calendar.from_ical(feed.ical(feed.feed_by_token(token.token)))
    events = [c for c in cal.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Duty: Canteen"]
    assert events[0].decoded("dtstart") == dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    old = token.token
    feed.renew_feed_token(teacher, f.school_a)
    assert feed.feed_by_token(old) is None
    feed.revoke_feed_token(teacher, f.school_a)
    assert feed.feed_token_of(teacher, f.school_a) is None


# --- sweeps ---------------------------------------------------------------------------------------------


def test_eve_reminder_sweep_catches_up_and_sends_once(f):
    from safetyops.notifications.models import OutboundMessage
    from safetyops.rosters import jobs

    teacher = f.user("teacher", phone="+996555000011", locale="en")
    shift = f.shift(f.post(name="Canteen duty"), teacher, MONDAY)
    f.shift(f.post(), f.user("teacher"), MONDAY, published=False)
    sunday_17h = dt.datetime(2026, 11, 22, 11, 0, tzinfo=dt.UTC)  # 17:00 Bishkek
    assert jobs.eve_reminders(sunday_17h) == 0
    assert jobs.eve_reminders(sunday_17h + dt.timedelta(hours=1)) == 1
    assert jobs.eve_reminders(sunday_17h + dt.timedelta(hours=3)) == 0  # once
    (msg,) = db.session.scalars(sa.select(OutboundMessage)).all()
    assert msg.user_id == teacher.id and "Canteen duty" in msg.body and "08:00" in msg.body
    assert len(msg.body) <= 70
    assert jobs.eve_reminders(shift.start_dt + dt.timedelta(minutes=1)) == 0  # started: too late


def test_checkin_nudge_sweep(f):
    from safetyops.rosters import jobs

    _settings(f.school_a, checkin_grace_minutes=10)
    teacher = f.user("teacher", phone="+996555000012")
    on_time = f.user("teacher", phone="+996555000013")
    shift = f.shift(f.post(start="08:00", end="13:00"), teacher, MONDAY)
    ok = f.shift(f.post(start="08:00", end="13:00"), on_time, MONDAY)
    ok.checked_in_dt = shift.start_dt
    assert jobs.checkin_nudges(shift.start_dt + dt.timedelta(minutes=9)) == 0
    assert jobs.checkin_nudges(shift.start_dt + dt.timedelta(minutes=10)) == 1
    assert jobs.checkin_nudges(shift.start_dt + dt.timedelta(hours=2)) == 0  # once
    assert _outbox_kinds() == [("rosters.nudge", teacher.id)]
