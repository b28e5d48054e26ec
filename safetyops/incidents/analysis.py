"""Road-incident analysis: the year's incidents by month, place, travel mode, age group, grade and time of
day (`analyse`), the repeating places, and the years that have incidents (`incident_years`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..drills.models import SchoolClass
from ..extensions import db
from ..time import zone
from .models import MODE_LABELS, Journey, RoadIncident, Severity, TravelMode
from .services import AGE_GROUP_LABELS, TIME_BANDS, age_group, time_band, year_range


@dataclass
class Bar:
    label: str
    count: int
    args: dict  # filter arguments of the list behind the bar
    is_hot: bool = False  # a repeating place


@dataclass
class Chart:
    key: str
    title: str
    bars: list[Bar]
    #: Serious or fatal among them (shown as a second figure).
    note: str = ""

    @property
    def max(self) -> int:
        return max((b.count for b in self.bars), default=0)


@dataclass
class Analysis:
    year: int
    total: int
    serious: int
    on_school_route: int
    with_measures: int
    charts: list[Chart] = field(default_factory=list)
    hot_places: list[Bar] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


MONTH_NAMES = [_l("Jan"), _l("Feb"), _l("Mar"), _l("Apr"), _l("May"), _l("Jun"), _l("Jul"), _l("Aug"), _l("Sep"),
               _l("Oct"), _l("Nov"), _l("Dec")]

#: A place with this many incidents or more (in the period) is highlighted as repeating.
REPEAT_THRESHOLD = 2


def incident_years(school) -> list[int]:
    """Years that have incidents (school-local), newest first."""
    rows = db.session.execute(sa.select(sa.func.min(RoadIncident.occurred_dt), sa.func.max(RoadIncident.occurred_dt))
                              .where(RoadIncident.school_id == school.id)).one()
    if rows[0] is None:
        return []
    tz = zone(school.timezone)
    return list(range(rows[1].astimezone(tz).year, rows[0].astimezone(tz).year - 1, -1))


def analyse(school, year: int) -> Analysis:
    """The year's incidents by month, place, mode, class, age group and time of day (one query, small rows)."""
    a, b = year_range(school, year)
    rows = db.session.execute(
        sa.select(RoadIncident.occurred_dt, RoadIncident.place, RoadIncident.place_key, RoadIncident.mode,
                  RoadIncident.grade, RoadIncident.severity, RoadIncident.journey, RoadIncident.measures,
                  SchoolClass.name)
        .outerjoin(SchoolClass, SchoolClass.id == RoadIncident.class_id)
        .where(RoadIncident.school_id == school.id, RoadIncident.occurred_dt >= a, RoadIncident.occurred_dt < b)
    ).all()
    tz = zone(school.timezone)
    months: Counter[int] = Counter()
    places: Counter[str] = Counter()
    place_names: dict[str, str] = {}
    modes: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    grades: Counter[int | None] = Counter()
    serious = route = measured = 0
    for occurred, place, key, mode, grade, severity, journey, measures, _cls in rows:
        local = occurred.astimezone(tz)
        months[local.month] += 1
        places[key] += 1
        place_names.setdefault(key, place)
        modes[mode] += 1
        ages[age_group(grade)] += 1
        bands[time_band(local.hour)] += 1
        grades[grade] += 1
        serious += severity in (Severity.SERIOUS, Severity.FATAL)
        route += journey in (Journey.TO_SCHOOL, Journey.FROM_SCHOOL)
        measured += bool((measures or "").strip())
    y = {"year": year}
    charts = [
        Chart("month", str(_l("By month")), [Bar(str(MONTH_NAMES[m - 1]), months[m],
                                                  {"month": f"{year}-{m:02d}"}) for m in range(1, 13)]),
        Chart("mode", str(_l("How they travelled")), [Bar(str(MODE_LABELS[m]), modes[m], {**y, "mode": m.value})
                                                       for m in TravelMode]),
        Chart("age", str(_l("By age group")), [Bar(str(AGE_GROUP_LABELS[k]), ages[k], {**y, "age": k})
                                               for k in AGE_GROUP_LABELS if ages[k] or k != "unknown"]),
        Chart("grade", str(_l("By grade")), [Bar(str(_l("Grade %(n)s", n=g)), grades[g], {**y, "grade": g})
                                             for g in sorted(k for k in grades if k is not None)]),
        Chart("band", str(_l("By time of day")), [Bar(str(label), bands[key], {**y, "band": key})
                                                   for key, _a, _b, label in TIME_BANDS]),
    ]
    top = places.most_common(12)
    place_bars = [Bar(place_names[k], n, {**y, "place": k}, is_hot=n >= REPEAT_THRESHOLD) for k, n in top]
    charts.insert(1, Chart("place", str(_l("By place (most frequent)")), place_bars))
    return Analysis(year=year, total=len(rows), serious=serious, on_school_route=route, with_measures=measured,
                    charts=charts, hot_places=[b for b in place_bars if b.is_hot])
