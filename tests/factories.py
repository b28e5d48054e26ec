"""Factory helpers: small functions that make valid rows with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools

from safetyops.auth.models import User
from safetyops.auth.roles import Role
from safetyops.extensions import db
from safetyops.schools.models import Appointment, Area, District, DistrictMembership, Membership, School, Zone, ZoneKind
from safetyops.security import hash_password

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


class Factories:
    def __init__(self):
        self._a = None
        self._b = None

    # Two schools in two districts: the inspector of A's district must not see B.
    @property
    def school_a(self) -> School:
        if self._a is None:
            self._a = self.school(name="School A", district=self.district(name="District A"))
        return self._a

    @property
    def school_b(self) -> School:
        if self._b is None:
            self._b = self.school(name="School B", district=self.district(name="District B", country="KZ"),
                                  timezone="Asia/Almaty", default_locale="ru")
        return self._b

    def district(self, name=None, country="KG") -> District:
        d = District(name=name or f"District {next(_seq)}", country=country)
        db.session.add(d)
        db.session.flush()
        return d

    def school(self, name=None, district=None, timezone="Asia/Bishkek", default_locale="ky") -> School:
        s = School(name=name or f"School {next(_seq)}", district=district or self.district(), timezone=timezone,
                   default_locale=default_locale)
        db.session.add(s)
        db.session.flush()
        return s

    def user(self, role: str | None = "teacher", school=None, *, username=None, phone=None, locale="en",
             password=PASSWORD, full_name=None, enabled=True, must_change=False) -> User:
        n = next(_seq)
        u = User(username=username or f"user{n}", full_name=full_name or f"Person {n}", phone=phone,
                 locale=locale, password_hash=hash_password(password), is_enabled=enabled,
                 must_change_password=must_change)
        db.session.add(u)
        if role == Role.INSPECTOR:
            u.district_memberships.append(DistrictMembership(district=(school or self.school_a).district))
        elif role is not None:
            u.memberships.append(Membership(school=school or self.school_a, role=Role(role)))
        db.session.flush()
        return u

    def zone(self, school=None, name=None, kind=ZoneKind.CORRIDOR, floor=1) -> Zone:
        z = Zone(school=school or self.school_a, name=name or f"Zone {next(_seq)}", kind=kind, floor=floor)
        db.session.add(z)
        db.session.flush()
        return z

    def appointment(self, school=None, user=None, area=Area.FIRE_SAFETY) -> Appointment:
        school = school or self.school_a
        user = user or self.user("safety_officer", school)
        a = Appointment(school_id=school.id, user_id=user.id, area=area, order_number="1-к",
                        order_date=dt.date(2026, 9, 1), starts_on=dt.date(2026, 9, 1))
        db.session.add(a)
        db.session.flush()
        return a

    # --- drills (issue 7) ---------------------------------------------------------------

    def school_class(self, school=None, name=None, students=25, homeroom=None, grade=5):
        from safetyops.drills.models import SchoolClass

        school = school or self.school_a
        c = SchoolClass(school_id=school.id, name=name or f"{grade}-{next(_seq)}", grade=grade, students=students,
                        homeroom_id=homeroom.id if homeroom else None)
        db.session.add(c)
        db.session.flush()
        return c

    def drill(self, school=None, kind="fire", ended=False, started_dt=None, is_real=False):
        from safetyops.drills.models import Drill, DrillKind
        from safetyops.time import now_utc

        school = school or self.school_a
        start = started_dt or now_utc() - dt.timedelta(minutes=5)
        d = Drill(school_id=school.id, kind=DrillKind(kind), target_seconds=180, started_dt=start, is_real=is_real,
                  ended_dt=start + dt.timedelta(minutes=4) if ended else None)
        db.session.add(d)
        db.session.flush()
        return d

    # --- inspections -------------------------------------------------------------

    def asset(self, school=None, zone=None, asset_type="fire_extinguisher", code=None, **kw):
        from safetyops.inspections.models import Asset

        school = school or self.school_a
        a = Asset(school_id=school.id, zone_id=(zone or self.zone(school)).id, asset_type=asset_type,
                  code=code or f"A-{next(_seq)}", **kw)
        db.session.add(a)
        db.session.flush()
        return a

    def schedule(self, template="fire_daily_walk", school=None, zone=None, asset=None, **kw):
        """A schedule with the template's own frequency and window (templates synced if needed)."""
        from safetyops.inspections import services

        school = school or self.school_a
        zone_kinds = {"fire_daily_walk": ZoneKind.CORRIDOR, "documents_quarterly": ZoneKind.OFFICE,
                      "territory_daily_guard": ZoneKind.YARD, "lab_waste_weekly": ZoneKind.LAB,
                      "canteen_sanitary_daily": ZoneKind.CANTEEN}
        asset_types = {"extinguisher_monthly": "fire_extinguisher", "fire_alarm_monthly": "fire_alarm_panel",
                       "electrical_monthly": "electrical_panel"}
        if asset is None and zone is None:
            if template in zone_kinds:
                zone = self.zone(school, kind=zone_kinds[template])
            else:
                asset = self.asset(school, asset_type=asset_types[template])
        return services.schedule_from_template(None, school, template, zone=zone, asset=asset, **kw)

    # --- rosters -------------------------------------------------------------------

    def post(self, school=None, name=None, kind="duty_teacher", start="08:00", end="13:00", roles="teacher",
             zone=None, days="every_day", weekday_mask=0b0011111):
        from safetyops.rosters.models import DaysRule, Post, PostKind

        school = school or self.school_a
        p = Post(school_id=school.id, name=name or f"Post {next(_seq)}", kind=PostKind(kind),
                 zone_id=zone.id if zone is not None else None, days=DaysRule(days), weekday_mask=weekday_mask,
                 start_time=dt.time.fromisoformat(start), end_time=dt.time.fromisoformat(end), eligible_roles=roles)
        db.session.add(p)
        db.session.flush()
        return p

    def shift(self, post=None, user=None, day=None, published=True, manual=False, school=None):
        """A shift written directly (no service checks; the database's own guards still apply)."""
        from safetyops.rosters.models import Shift
        from safetyops.rosters.services import shift_window
        from safetyops.time import school_today

        school = school or (post.school_id and db.session.get(School, post.school_id) if post else self.school_a)
        post = post or self.post(school)
        user = user or self.user("teacher", school)
        day = day or school_today(school)
        start, end = shift_window(post, day, school.timezone)
        s = Shift(school_id=school.id, post_id=post.id, user_id=user.id, day=day, start_dt=start, end_dt=end,
                  is_published=published, is_manual=manual)
        db.session.add(s)
        db.session.flush()
        return s

    # --- gate ----------------------------------------------------------------------

    def gate_entry(self, school=None, name="Иванов Иван", kind="visitor", in_dt=None, out_dt=None, guard=None,
                   **kw):
        from safetyops.gate.models import EntryKind, GateEntry
        from safetyops.gate.names import name_key
        from safetyops.time import now_utc

        school = school or self.school_a
        e = GateEntry(school_id=school.id, client_id=f"f-{next(_seq)}", kind=EntryKind(kind), name=name,
                      name_key=name_key(name), in_dt=in_dt or now_utc(), out_dt=out_dt,
                      guard_id=guard.id if guard is not None else None, **kw)
        db.session.add(e)
        db.session.flush()
        return e

    def watch(self, school=None, name="Сидоров Пётр", reason="barred", doc_last4=None, note=""):
        from safetyops.gate.models import WatchlistEntry, WatchReason
        from safetyops.gate.names import name_key

        school = school or self.school_a
        w = WatchlistEntry(school_id=school.id, name=name, name_key=name_key(name), reason=WatchReason(reason),
                           doc_last4=doc_last4, note=note)
        db.session.add(w)
        db.session.flush()
        return w

    def checkpoint(self, school=None, name=None, code=None):
        from safetyops.gate.models import Checkpoint

        school = school or self.school_a
        n = next(_seq)
        cp = Checkpoint(school_id=school.id, name=name or f"Checkpoint {n}", code=code or f"CP{n:04d}", position=n)
        db.session.add(cp)
        db.session.flush()
        return cp

    def gate_photo(self, school=None):
        from safetyops.gate.models import GatePhoto

        p = GatePhoto(school_id=(school or self.school_a).id, content_type="image/jpeg", data=b"\xff\xd8\xff")
        db.session.add(p)
        db.session.flush()
        return p

    # --- incidents and canteen (issue 8) -----------------------------------------------

    def road_incident(self, school=None, *, occurred_dt=None, place="Ахунбаев / Токтогул", klass=None,
                      name="", mode="pedestrian", severity="light", journey="to_school", **kw):
        from safetyops.incidents.models import RoadIncident
        from safetyops.incidents.services import place_key
        from safetyops.time import now_utc

        school = school or self.school_a
        i = RoadIncident(school_id=school.id, occurred_dt=occurred_dt or now_utc() - dt.timedelta(days=1),
                         place=place, place_key=place_key(place), student_name=name, has_consent=bool(name),
                         class_id=klass.id if klass else None, grade=klass.grade if klass else kw.pop("grade", None),
                         mode=mode, severity=severity, journey=journey, **kw)
        db.session.add(i)
        db.session.flush()
        return i

    def school_event(self, school=None, *, classes=(), held_on=None, title="Ала-Арча", kind="hike"):
        from safetyops.incidents.models import SchoolEvent

        school = school or self.school_a
        e = SchoolEvent(school_id=school.id, kind=kind, title=title, held_on=held_on or dt.date(2026, 10, 1),
                        classes=list(classes) or [self.school_class(school)])
        db.session.add(e)
        db.session.flush()
        return e

    def briefing_plan_item(self, school=None, klass=None, planned_on=None, topic="Переход дороги"):
        from safetyops.incidents.models import BriefingPlanItem

        school = school or self.school_a
        p = BriefingPlanItem(school_id=school.id, class_id=(klass or self.school_class(school)).id, topic=topic,
                             planned_on=planned_on or dt.date(2026, 9, 15))
        db.session.add(p)
        db.session.flush()
        return p

    def sitting(self, school=None, klass=None, weekday=0, starts="10:15", ends="10:35", approved=True):
        """A sitting in the school's approved (or draft) schedule, made directly."""
        import sqlalchemy as sa

        from safetyops.canteen.models import MealSchedule, ScheduleStatus, Sitting
        from safetyops.time import now_utc

        school = school or self.school_a
        status = ScheduleStatus.APPROVED if approved else ScheduleStatus.DRAFT
        sched = db.session.scalar(sa.select(MealSchedule).where(MealSchedule.school_id == school.id,
                                                                MealSchedule.status == status))
        if sched is None:
            sched = MealSchedule(school_id=school.id, status=status, approved_dt=now_utc() if approved else None)
            db.session.add(sched)
            db.session.flush()
        s = Sitting(school_id=school.id, schedule_id=sched.id, class_id=(klass or self.school_class(school)).id,
                    weekday=weekday, starts=dt.time.fromisoformat(starts), ends=dt.time.fromisoformat(ends))
        db.session.add(s)
        db.session.flush()
        return s

    # --- a school with N of everything (statement-count tests, tests/test_statement_counts.py) ---------

    def populate(self, n: int, school=None, now=None) -> dict:
        """A school with one person of each role and `n` of each listed thing: staff, zones, schools of
        its district, gate entries (on site, signed out, late staff, watchlist hits), checklist schedules
        (one of each kind and `n` more, each with its past runs) and open deficiencies, drills with class
        reports, classes, road incidents, duty shifts, outbound messages and canteen sittings.

        Returns the people by role, the school, an in-progress run and the day the gate entries are on."""
        from safetyops.auth.roles import SCHOOL_ROLES
        from safetyops.drills.models import ClassReport
        from safetyops.gate.models import EntryKind
        from safetyops.inspections import services as insp
        from safetyops.inspections.models import AssigneeKind, Run, RunStatus
        from safetyops.inspections.periods import previous_start
        from safetyops.notifications.models import MessageStatus, OutboundMessage
        from safetyops.time import now_utc, school_today, zone

        school = school or self.school(district=self.district())
        now = now or now_utc()
        today = school_today(school)
        people = {r.value: self.user(r.value, school) for r in SCHOOL_ROLES}
        people["inspector"] = self.user("inspector", school)
        staff = [self.user("teacher", school, phone=f"+99655{next(_seq) % 10**7:07d}") for _ in range(n)]
        for _ in range(n):  # the district inspector's schools
            self.school(district=school.district)
        guard, director = people["guard"], people["director"]
        # gate: all within the last hour
        base = now - dt.timedelta(minutes=50)
        watch = self.watch(school, name="Сидоров Пётр")
        for i in range(n):
            at = base + dt.timedelta(seconds=10 * i)
            self.gate_entry(school, name=f"Visitor {i}", in_dt=at, guard=guard, host_id=staff[i].id,
                            purpose="meeting")
            self.gate_entry(school, name=f"Parent {i}", kind=EntryKind.PARENT, in_dt=at, guard=guard,
                            out_dt=at + dt.timedelta(minutes=5), out_guard_id=guard.id)
            self.gate_entry(school, name=f"Late {i}", kind=EntryKind.STAFF_LATE, in_dt=at, guard=guard)
            self.gate_entry(school, name="Сидоров Пётр", in_dt=at, guard=guard, watchlist_id=watch.id,
                            out_dt=at, is_refused=True)
        for _ in range(max(1, n // 5)):
            self.checkpoint(school)
        # inspections: one schedule of each kind and n more, started a few weeks ago, each with its past runs
        self.appointment(school, people["safety_officer"])
        starts = today - dt.timedelta(days=40)
        templates = ["fire_daily_walk", "extinguisher_monthly", "lab_waste_weekly", "documents_quarterly",
                     "territory_daily_guard"]
        open_run = None
        for i in range(n + len(templates)):
            kw = {"starts_on": starts}
            if i % 3 == 1:
                kw["assignee_kind"] = AssigneeKind.ON_DUTY
            if i % 3 == 2:
                kw.update(assignee_kind=AssigneeKind.PERSON, assignee_user_id=staff[i % n].id)
            sched = self.schedule(templates[i % len(templates)], school, **kw)
            version = insp.ensure_templates()[sched.template_key]
            start = previous_start(sched.frequency, today)
            for _ in range(3):  # three past periods done
                db.session.add(Run(school_id=school.id, schedule_id=sched.id, period_start=start,
                                   version_id=version.id, zone_id=sched.zone_id, asset_id=sched.asset_id,
                                   status=RunStatus.DONE, started_by_id=staff[i % n].id,
                                   finished_by_id=staff[i % n].id,
                                   started_dt=now - dt.timedelta(days=1), finished_dt=now - dt.timedelta(days=1)))
                start = previous_start(sched.frequency, start)
            if open_run is None and sched.template_key == "fire_daily_walk":
                open_run = insp.start_run(people["teacher"], school, sched, now=now)
                for item in version.items[:3]:
                    insp.tick(people["teacher"], school, open_run, item_id=item["id"], result="pass", now=now)
            insp.open_action(director, school, title=f"Deficiency {i}", severity=("critical", "major", "minor")[i % 3],
                             area="fire_safety", zone_id=self.zone(school).id, now=now)
        db.session.flush()
        # drills, classes, incidents
        classes = [self.school_class(school, homeroom=staff[i]) for i in range(n)]
        for i in range(n):
            d = self.drill(school, ended=True, started_dt=now - dt.timedelta(days=3 + i))
            db.session.add(ClassReport(school_id=school.id, drill_id=d.id, class_id=classes[i].id,
                                       reporter_id=staff[i].id, on_register=25, present=24, evacuated=24,
                                       first_dt=d.started_dt + dt.timedelta(seconds=100 + i)))
            self.road_incident(school, occurred_dt=now - dt.timedelta(days=2 + i), klass=classes[i],
                               name=f"Student {i}")
        # rosters: n posts with a shift today each; canteen sittings
        for i in range(n):
            self.shift(self.post(school), staff[i], today, school=school)
            self.sitting(school, classes[i], weekday=i % 5)
        # outbound messages
        for i in range(n):
            db.session.add(OutboundMessage(school_id=school.id, user_id=staff[i].id, kind="bench.test",
                                           idempotency_key=f"populate-{school.id}-{i}", to_phone=staff[i].phone or "",
                                           body=f"Message {i}", status=MessageStatus.SENT, created_dt=now))
        db.session.flush()
        gate_day = base.astimezone(zone(school.timezone)).date()
        return {"school": school, "people": people, "run": open_run, "gate_day": gate_day}
