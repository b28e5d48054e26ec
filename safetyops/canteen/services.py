"""Canteen rules.  Plain functions of (actor, school, …); views, jobs, the demo and tests share them."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..drills.models import SchoolClass
from ..errors_service import ServiceError
from ..extensions import db
from ..inspections.checklist_files import content_hash, load_file, shipped_dir
from ..inspections.models import Run, Schedule
from ..inspections.services import run_progress
from ..rosters.services import on_duty
from ..schools.calendar import SchoolCalendar, calendar_for
from ..schools.models import Membership, School
from ..time import now_utc
from .models import (
    PRIMARY_MAX_GRADE,
    BreakfastTally,
    CanteenDuty,
    CanteenSettings,
    MealSchedule,
    SanitaryCheck,
    SanitaryTick,
    ScheduleStatus,
    Sitting,
    is_primary,
)

SANITARY_TEMPLATE_ID = "canteen_sanitary_daily"
#: The canteen's weekdays for the school calendar: Monday to Saturday (bit 0 = Monday).
SIX_DAYS = 0b0111111

# --- classes -------------------------------------------------------------------------------------------------


def classes(school: School, *, active_only: bool = True, primary_only: bool = False) -> list[SchoolClass]:
    q = sa.select(SchoolClass).where(SchoolClass.school_id == school.id)
    if active_only:
        q = q.where(SchoolClass.is_active.is_(True))
    if primary_only:
        q = q.where(SchoolClass.grade.between(1, PRIMARY_MAX_GRADE))
    return list(db.session.scalars(q.order_by(SchoolClass.grade, SchoolClass.name)))


def school_class(school: School, class_id) -> SchoolClass:
    """The class `class_id` of this school, or a ServiceError (another school's class is refused)."""
    try:
        ident = int(class_id)
    except (TypeError, ValueError):
        ident = None
    found = db.session.scalar(sa.select(SchoolClass).where(SchoolClass.school_id == school.id,
                                                            SchoolClass.id == ident)) if ident else None
    if found is None:
        raise ServiceError(_l("Choose a class of this school."), "class_id")
    return found


def _is_staff(school: School, user_id) -> bool:
    return db.session.scalar(sa.select(Membership.id).where(Membership.school_id == school.id,
                                                            Membership.user_id == user_id)) is not None


def homeroom_classes(user, school: School) -> list[SchoolClass]:
    return list(db.session.scalars(sa.select(SchoolClass).where(
        SchoolClass.school_id == school.id, SchoolClass.homeroom_id == user.id,
        SchoolClass.is_active.is_(True)).order_by(SchoolClass.name)))


# --- settings -------------------------------------------------------------------------------------------------


def settings(school: School) -> CanteenSettings:
    """The school's canteen settings (defaults until saved; not added to the session)."""
    found = db.session.scalar(sa.select(CanteenSettings).where(CanteenSettings.school_id == school.id))
    return found or CanteenSettings(school_id=school.id, capacity=120, day_starts=dt.time(7, 30),
                                    day_ends=dt.time(18, 0))


def save_settings(actor: User | None, school: School, *, capacity, day_starts, day_ends) -> CanteenSettings:
    if capacity is None or capacity < 1:
        raise ServiceError(_l("The capacity must be at least 1 seat."), "capacity")
    if day_starts >= day_ends:
        raise ServiceError(_l("The school day must end after it starts."), "day_ends")
    current = settings(school)
    draft = draft_schedule(school, create=False)
    sched = draft or approved_schedule(school)
    if sched is not None:
        for s in sched.sittings:
            if s.starts < day_starts or s.ends > day_ends:
                raise ServiceError(_l("A sitting (%(cls)s, %(day)s) falls outside these hours. Move it first.",
                                      cls=s.school_class.name, day=WEEKDAYS[s.weekday]), "day_starts")
        peak = max((p for _w, p, _t in _peaks(sched.sittings)), default=0)
        if peak > capacity:
            raise ServiceError(_l("The schedule seats %(n)s at once: the capacity cannot be lower.", n=peak),
                               "capacity")
    if current.id is None:
        db.session.add(current)
    current.capacity, current.day_starts, current.day_ends = capacity, day_starts, day_ends
    db.session.flush()
    record(actor, school, "canteen.settings", current, detail=f"capacity={capacity}")
    return current


# --- schedules and sittings -------------------------------------------------------------------------------------

WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday")]


def approved_schedule(school: School) -> MealSchedule | None:
    return db.session.scalar(sa.select(MealSchedule).where(MealSchedule.school_id == school.id,
                                                           MealSchedule.status == ScheduleStatus.APPROVED)
                             .options(sa.orm.selectinload(MealSchedule.sittings).selectinload(Sitting.school_class)
                                      .selectinload(SchoolClass.homeroom))
                             .order_by(MealSchedule.approved_dt.desc()).limit(1))


def draft_schedule(school: School, create: bool = True) -> MealSchedule | None:
    """The draft being edited; the first edit copies the approved schedule into a new draft."""
    draft = db.session.scalar(sa.select(MealSchedule).where(MealSchedule.school_id == school.id,
                                                            MealSchedule.status == ScheduleStatus.DRAFT).limit(1))
    if draft is not None or not create:
        return draft
    draft = MealSchedule(school_id=school.id, status=ScheduleStatus.DRAFT)
    db.session.add(draft)
    base = approved_schedule(school)
    if base is not None:
        for s in base.sittings:
            draft.sittings.append(Sitting(school_id=school.id, class_id=s.class_id, weekday=s.weekday,
                                          starts=s.starts, ends=s.ends))
    db.session.flush()
    return draft


def _peaks(sittings) -> list[tuple[int, int, dt.time]]:
    """(weekday, most students seated at once, when) for each weekday, by a sweep over start/end events."""
    out = []
    for weekday in range(7):
        events = []
        for s in sittings:
            if s.weekday == weekday:
                events.append((s.starts, 1, s.school_class.students))
                events.append((s.ends, 0, -s.school_class.students))  # an end frees seats before a start
        seated, best, when = 0, 0, None
        for at, _order, delta in sorted(events, key=lambda e: (e[0], e[1])):
            seated += delta
            if seated > best:
                best, when = seated, at
        if events:
            out.append((weekday, best, when))
    return out


def _fmt(t: dt.time) -> str:
    return t.strftime("%H:%M")


def save_sitting(actor: User | None, school: School, sitting: Sitting | None, *, class_id, weekdays, starts,
                 ends) -> list[Sitting]:
    """Put a class's meal at [starts, ends) on each of `weekdays` in the draft, refusing a time outside the
    school day and any moment when the seated classes would exceed the canteen's capacity."""
    klass = school_class(school, class_id)
    conf = settings(school)
    if starts is None or ends is None or starts >= ends:
        raise ServiceError(_l("The meal must end after it starts."), "ends")
    if starts < conf.day_starts or ends > conf.day_ends:
        raise ServiceError(_l("Meals are served between %(a)s and %(b)s (school hours).",
                                a=_fmt(conf.day_starts), b=_fmt(conf.day_ends)), "starts")
    weekdays = sorted({int(w) for w in weekdays or []})
    if not weekdays or any(w < 0 or w > 6 for w in weekdays):
        raise ServiceError(_l("Choose at least one day of the week."), "weekdays")
    if klass.students > conf.capacity:
        raise ServiceError(_l("Class %(cls)s (%(n)s students) is larger than the canteen (%(cap)s seats).",
                              cls=klass.name, n=klass.students, cap=conf.capacity), "class_id")
    draft = draft_schedule(school)
    if sitting is not None and sitting.schedule_id != draft.id:  # edited from the approved copy
        sitting = next((s for s in draft.sittings if s.class_id == sitting.class_id
                        and s.weekday == sitting.weekday), None)
    keep = [s for s in draft.sittings if s is not sitting
            and not (s.class_id == klass.id and s.weekday in weekdays)]
    new = [Sitting(school_id=school.id, class_id=klass.id, weekday=w, starts=starts, ends=ends,
                   school_class=klass) for w in weekdays]
    for weekday, peak, when in _peaks(keep + new):
        if peak > conf.capacity and weekday in weekdays:
            raise ServiceError(_l("On %(day)s at %(at)s, %(n)s students would be seated: the canteen has "
                                  "%(cap)s seats. Choose another time.", day=WEEKDAYS[weekday], at=_fmt(when),
                                  n=peak, cap=conf.capacity), "starts")
    for s in list(draft.sittings):
        if s not in keep:
            draft.sittings.remove(s)
    db.session.flush()
    for s in new:
        s.schedule = draft
        db.session.add(s)
    db.session.flush()
    record(actor, school, "sitting.save", draft,
           detail=f"class={klass.id} days={','.join(map(str, weekdays))} {_fmt(starts)}-{_fmt(ends)}")
    return new


def delete_sitting(actor: User | None, school: School, sitting: Sitting) -> None:
    draft = draft_schedule(school)
    target = next((s for s in draft.sittings if s.class_id == sitting.class_id and s.weekday == sitting.weekday),
                  None)
    if target is not None:
        draft.sittings.remove(target)
        db.session.flush()
    record(actor, school, "sitting.delete", draft, detail=f"class={sitting.class_id} day={sitting.weekday}")


def approve(actor: User | None, school: School) -> MealSchedule:
    draft = draft_schedule(school, create=False)
    if draft is None:
        raise ServiceError(_l("There are no changes to approve."))
    if not draft.sittings:
        raise ServiceError(_l("The schedule is empty: add the classes' meal times first."))
    conf = settings(school)
    for weekday, peak, when in _peaks(draft.sittings):
        if peak > conf.capacity:
            raise ServiceError(_l("On %(day)s at %(at)s, %(n)s students would be seated: the canteen has "
                                  "%(cap)s seats. Choose another time.", day=WEEKDAYS[weekday], at=_fmt(when),
                                  n=peak, cap=conf.capacity))
    previous = approved_schedule(school)
    if previous is not None:
        previous.status = ScheduleStatus.SUPERSEDED
        db.session.flush()
    draft.status = ScheduleStatus.APPROVED
    draft.approved_dt = now_utc()
    draft.approved_by_id = actor.id if actor is not None else None
    db.session.flush()
    record(actor, school, "schedule.approve", draft, detail=f"sittings={len(draft.sittings)}")
    return draft


def discard_draft(actor: User | None, school: School) -> None:
    draft = draft_schedule(school, create=False)
    if draft is not None:
        db.session.delete(draft)
        db.session.flush()
        record(actor, school, "schedule.discard", draft)


def sittings_on(school: School, weekday: int, schedule: MealSchedule | None = None) -> list[Sitting]:
    schedule = schedule or approved_schedule(school)
    if schedule is None:
        return []
    return sorted((s for s in schedule.sittings if s.weekday == weekday),
                  key=lambda s: (s.starts, s.school_class.name))


@dataclass
class TimelineRow:
    sitting: Sitting
    left: float  # percent of the school day
    width: float
    lane: int


def timeline(school: School, weekday: int, schedule: MealSchedule | None) -> tuple[list[TimelineRow], int, list]:
    """Rows of the day's timeline (positions in percent of the school day), the peak, and hour marks."""
    conf = settings(school)
    day = sittings_on(school, weekday, schedule) if schedule else []
    if day:  # the hours that have meals, whole hours either side
        start = min(s.starts.hour for s in day) * 60
        end = max(s.ends.hour + (1 if s.ends.minute else 0) for s in day) * 60
    else:
        start = conf.day_starts.hour * 60 + conf.day_starts.minute
        end = conf.day_ends.hour * 60 + conf.day_ends.minute
    span = max(end - start, 1)
    rows: list[TimelineRow] = []
    lanes_end: list[int] = []
    for s in day:
        a = s.starts.hour * 60 + s.starts.minute
        b = s.ends.hour * 60 + s.ends.minute
        lane = next((i for i, e in enumerate(lanes_end) if e <= a), None)
        if lane is None:
            lanes_end.append(b)
            lane = len(lanes_end) - 1
        else:
            lanes_end[lane] = b
        rows.append(TimelineRow(s, round((a - start) * 100 / span, 2), round((b - a) * 100 / span, 2), lane))
    peak = max((p for w, p, _t in _peaks(schedule.sittings) if w == weekday), default=0) if schedule else 0
    marks = [(round((h * 60 - start) * 100 / span, 2), f"{h:02d}:00") for h in range(start // 60, end // 60 + 1)
             if start <= h * 60 <= end]
    return rows, peak, marks


def my_meal_times(user, school: School, day: dt.date) -> list[tuple[SchoolClass, Sitting]]:
    """For a homeroom teacher: when each of their classes eats on `day` (approved schedule only)."""
    mine = homeroom_classes(user, school)
    if not mine:
        return []
    by_class = {s.class_id: s for s in sittings_on(school, day.weekday())}
    return [(c, by_class[c.id]) for c in mine if c.id in by_class]


def next_meal_times(user, school: School, day: dt.date) -> tuple[dt.date, list[tuple[SchoolClass, Sitting]]] | None:
    """The teacher's classes' meal times on `day`, or on the next day within a week that has any; days the
    school calendar gives the school off (holidays, days off, national holidays: `canteen_open`) have none."""
    mine = homeroom_classes(user, school)
    if not mine:
        return None
    schedule = approved_schedule(school)
    if schedule is None:
        return None
    calendar = calendar_for(school)
    for ahead in range(7):
        d = day + dt.timedelta(days=ahead)
        if not canteen_open(calendar, d):
            continue
        by_class = {s.class_id: s for s in schedule.sittings if s.weekday == d.weekday()}
        found = [(c, by_class[c.id]) for c in mine if c.id in by_class]
        if found:
            return d, found
    return None


def canteen_open(calendar: SchoolCalendar, day: dt.date) -> bool:
    """Whether the canteen serves on `day`: Monday to Saturday (the sittings' weekdays decide which), not on
    the school's holidays and days off, between terms or on a national holiday (the school calendar)."""
    return calendar.is_school_day(day, SIX_DAYS)


def meal_time_text(sitting: Sitting) -> str:
    return sitting.starts.strftime("%H:%M")


# --- person in charge ----------------------------------------------------------------------------------------


def in_charge(school: School, day: dt.date) -> list[User]:
    """Who controls the canteen on `day`: the rosters' canteen post when there is one, else the assignment."""
    from_roster = on_duty(school, day, post_kind="canteen")
    if from_roster:
        return from_roster
    duty = db.session.scalar(sa.select(CanteenDuty).where(CanteenDuty.school_id == school.id,
                                                          CanteenDuty.day == day))
    return [duty.user] if duty else []


def assign_duty(actor: User | None, school: School, *, day: dt.date, user_id: int | None) -> CanteenDuty | None:
    duty = db.session.scalar(sa.select(CanteenDuty).where(CanteenDuty.school_id == school.id,
                                                          CanteenDuty.day == day))
    if not user_id:
        if duty is not None:
            db.session.delete(duty)
            record(actor, school, "canteen.duty_clear", duty, detail=day.isoformat())
        return None
    if not _is_staff(school, user_id):
        raise ServiceError(_l("Choose a person who works at this school."), "user_id")
    if duty is None:
        duty = CanteenDuty(school_id=school.id, day=day)
        db.session.add(duty)
    duty.user_id = user_id
    db.session.flush()
    record(actor, school, "canteen.duty", duty, detail=f"{day.isoformat()} user={user_id}")
    return duty


# --- sanitary check (the YAML template from checklists/, ticks kept here) ---------------------------------------


def sanitary_template():
    """(template, content hash) of the canteen sanitary checklist in checklists/; (None, "") if missing or broken.
    Loaded once per process (the file ships with the code)."""
    global _TEMPLATE
    if _TEMPLATE is None:
        path = shipped_dir() / f"{SANITARY_TEMPLATE_ID}.yaml"
        template, errors = load_file(path) if path.exists() else (None, ["missing"])
        _TEMPLATE = (template, content_hash(template)) if template is not None and not errors else (None, "")
    return _TEMPLATE


_TEMPLATE = None


@dataclass
class EngineCheck:
    """The sanitary check as a schedule of the inspections engine (when the school has one)."""

    schedule: Schedule
    run: Run | None
    answered: int
    total: int

    @property
    def is_done(self) -> bool:
        return self.run is not None and self.run.is_done


def engine_check(school: School, day: dt.date) -> EngineCheck | None:
    """The school's active inspections schedule for the canteen sanitary checklist and the day's run;
    None when the school has no such schedule (the canteen's own sanitary form is used then)."""
    schedule = db.session.scalar(sa.select(Schedule).where(
        Schedule.school_id == school.id, Schedule.template_key == SANITARY_TEMPLATE_ID,
        Schedule.is_active.is_(True)).order_by(Schedule.id).limit(1))
    if schedule is None:
        return None
    run = db.session.scalar(sa.select(Run).where(Run.school_id == school.id, Run.schedule_id == schedule.id,
                                                  Run.period_start == day).limit(1))
    answered = total = 0
    if run is not None:
        answered, total = run_progress(run)
    return EngineCheck(schedule, run, answered, total)


def sanitary_check(school: School, day: dt.date) -> SanitaryCheck | None:
    return db.session.scalar(sa.select(SanitaryCheck).where(SanitaryCheck.school_id == school.id,
                                                            SanitaryCheck.day == day))


def save_sanitary(actor: User | None, school: School, day: dt.date, answers: dict[str, tuple[bool | None, str]],
                  lang: str):
    """Store the answers {item_id: (is_ok, note)}; a problem needs a note.  Answers can be given in several
    goes (the check is complete when every item is answered).  Returns (check, failed item texts)."""
    template, digest = sanitary_template()
    if template is None:
        raise ServiceError(_l("The sanitary checklist is missing. Tell the administrator."))
    items = {i.id: i for i in template.items}
    unknown = set(answers) - set(items)
    if unknown:
        raise ServiceError(_l("Unknown checklist item."))
    for item_id, (is_ok, note) in answers.items():
        if is_ok is False and not (note or "").strip():
            raise ServiceError(_l("Say what is wrong: “%(item)s”.", item=items[item_id].text.get(lang)), item_id)
    check = sanitary_check(school, day)
    if check is None:
        check = SanitaryCheck(school_id=school.id, day=day, template_id=template.id, template_hash=digest)
        db.session.add(check)
        db.session.flush()
    existing = {t.item_id: t for t in check.ticks}
    failed = []
    for item_id, (is_ok, note) in answers.items():
        if is_ok is None:
            continue
        tick = existing.get(item_id)
        if tick is None:
            tick = SanitaryTick(item_id=item_id)
            check.ticks.append(tick)
            existing[item_id] = tick
        tick.is_ok = is_ok
        tick.note = (note or "").strip()[:500]
        tick.item_text = items[item_id].text.get(lang)[:200]
        if not is_ok:
            failed.append(tick.item_text)
    check.checked_by_id = actor.id if actor is not None else None
    check.updated_dt = now_utc()
    check.is_complete = set(existing) >= set(items)
    db.session.flush()
    record(actor, school, "sanitary.tick", check,
           detail=f"answered={len(existing)}/{len(items)} problems={sum(not t.is_ok for t in check.ticks)}")
    return check, failed


# --- breakfast tally -----------------------------------------------------------------------------------------


def tallies_on(school: School, day: dt.date) -> dict[int, BreakfastTally]:
    rows = db.session.scalars(sa.select(BreakfastTally).where(BreakfastTally.school_id == school.id,
                                                              BreakfastTally.day == day))
    return {t.class_id: t for t in rows}


def save_tally(actor: User | None, school: School, *, class_id, day: dt.date, served, absent,
               substitutions) -> BreakfastTally:
    klass = school_class(school, class_id)
    if not is_primary(klass):
        raise ServiceError(_l("Free breakfast is for grades 1–4 only."), "class_id")
    for value, field in ((served, "served"), (absent, "absent"), (substitutions, "substitutions")):
        if value is None or value < 0:
            raise ServiceError(_l("Enter a whole number, 0 or more."), field)
    if served > klass.students:
        raise ServiceError(_l("%(n)s served, but class %(cls)s has %(size)s students.", n=served, cls=klass.name,
                              size=klass.students), "served")
    if served + absent > klass.students:
        raise ServiceError(_l("Served and absent together (%(n)s) exceed the class size (%(size)s).",
                              n=served + absent, size=klass.students), "absent")
    if substitutions > served:
        raise ServiceError(_l("Substitutions cannot exceed the breakfasts served."), "substitutions")
    tally = db.session.scalar(sa.select(BreakfastTally).where(BreakfastTally.school_id == school.id,
                                                              BreakfastTally.class_id == klass.id,
                                                              BreakfastTally.day == day))
    creating = tally is None
    if creating:
        tally = BreakfastTally(school_id=school.id, class_id=klass.id, day=day)
        db.session.add(tally)
    tally.served, tally.absent, tally.substitutions = served, absent, substitutions
    tally.class_size = klass.students
    tally.entered_by_id = actor.id if actor is not None else None
    tally.updated_dt = now_utc()
    db.session.flush()
    record(actor, school, "tally.create" if creating else "tally.update", tally,
           detail=f"{day.isoformat()} served={served} absent={absent} subs={substitutions}")
    return tally


@dataclass
class MonthRow:
    klass: SchoolClass
    days: int
    served: int
    absent: int
    substitutions: int


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def month_summary(school: School, year: int, month: int) -> tuple[list[MonthRow], MonthRow | None]:
    first, last = month_bounds(year, month)
    rows = db.session.execute(
        sa.select(BreakfastTally.class_id, sa.func.count(), sa.func.sum(BreakfastTally.served),
                  sa.func.sum(BreakfastTally.absent), sa.func.sum(BreakfastTally.substitutions))
        .where(BreakfastTally.school_id == school.id, BreakfastTally.day.between(first, last))
        .group_by(BreakfastTally.class_id)
    ).all()
    by_id = {r[0]: r for r in rows}
    out = []
    for klass in classes(school, active_only=False, primary_only=True):
        r = by_id.get(klass.id)
        if r is None and not klass.is_active:
            continue
        out.append(MonthRow(klass, r[1] if r else 0, int(r[2] or 0) if r else 0, int(r[3] or 0) if r else 0,
                            int(r[4] or 0) if r else 0))
    if not out:
        return [], None
    total = MonthRow(None, max(r.days for r in out), sum(r.served for r in out), sum(r.absent for r in out),
                     sum(r.substitutions for r in out))
    return out, total


def month_daily(school: School, year: int, month: int) -> list[BreakfastTally]:
    first, last = month_bounds(year, month)
    return list(db.session.scalars(
        sa.select(BreakfastTally).where(BreakfastTally.school_id == school.id, BreakfastTally.day.between(first, last))
        .order_by(BreakfastTally.day, BreakfastTally.class_id)))
