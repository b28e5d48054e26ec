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

    def user(self, role: str | None = "teacher", school=None, *, username=None, phone=None, locale="ky",
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
