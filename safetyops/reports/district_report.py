"""The safety report for a whole district (issue 14): every school's term, month or year figures,
added up, with a table of the schools side by side.

Every school gets the same period (the default term dates: schools' own calendars differ), and the
district's figures are the sums of the schools' (open deficiencies and drills listed together).
A download, not a page: every figure is read for all the schools at once (`services.school_figures`,
grouped by school), so the report sends as many statements for 100 schools as for 2."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..inspections.models import SEVERITY_RANK, Severity
from ..schools.calendar import calendars_for
from ..schools.models import District, School
from .sections import build_sections, percent
from .services import SafetyReport, Section, period_dates, school_figures


@dataclass
class DistrictName:
    """Stands in for the school in a district's report (the PDF and the page read `.name`)."""

    name: str
    id: None = None


def _merge(figures: list[dict]) -> dict:
    """The schools' figures added up: numbers summed, counts by key summed, lists put together."""
    out: dict = {}
    weeks: dict[dt.date, dict] = {}
    for f in figures:
        for key, value in f.items():
            if key == "weeks":
                for monday, counts in value:
                    into = weeks.setdefault(monday, {k: 0 for k in counts})
                    for k, n in counts.items():
                        into[k] = into.get(k, 0) + n
            elif isinstance(value, bool):
                out[key] = out.get(key, False) or value
            elif isinstance(value, int | float | Decimal) or value is None:
                out[key] = out.get(key, 0) + (value or 0)
            elif isinstance(value, dict):
                into = out.setdefault(key, {})
                for k, n in value.items():
                    into[k] = into.get(k, 0) + n
            elif isinstance(value, list):
                out.setdefault(key, []).extend(value)
            else:
                out.setdefault(key, value)
    out["weeks"] = sorted(weeks.items())
    out["open_list"] = sorted(out.get("open_list", []), key=lambda r: (SEVERITY_RANK[Severity(r[2])], -r[3]))
    out["drills"] = sorted(out.get("drills", []), key=lambda d: d[0].started_dt)
    return out


def district_report(district_ids: list[int], period: str, today: dt.date, now: dt.datetime, lang: str) -> SafetyReport:
    """The district's report: the sum of its schools' reports for one period, and a per-school table."""
    key, first, last = period_dates(period, today)
    names = list(
        db.session.scalars(sa.select(District.name).where(District.id.in_(district_ids)).order_by(District.name))
    )
    schools = list(
        db.session.scalars(
            sa.select(School).where(School.district_id.in_(district_ids)).order_by(School.name, School.id)
        )
    )
    figures = school_figures(schools, first, last, today, now, calendars_for(s.id for s in schools)) if schools else {}
    report = SafetyReport(
        DistrictName(", ".join(names)), key, first, last, min(last, today), [], _merge([figures[s.id] for s in schools])
    )
    report.figures["by_school"] = [(s.name, figures[s.id]) for s in schools]
    report.figures["schools"] = len(schools)
    return report


def district_sections(report: SafetyReport, lang: str) -> list[Section]:
    """The sections of a district's report: the schools side by side, then the usual sections of the
    sums (call inside `force_locale`)."""
    header = (
        _("School"),
        _("Checks on time"),
        _("Missed"),
        _("Open critical deficiencies"),
        _("Drills held / planned"),
        _("Staff trained"),
        _("Road incidents"),
    )
    rows = [
        (
            name,
            percent(f["checks_on_time"], f["checks_due"]),
            f["checks_missed"],
            f["open_critical"],
            f"{f['drills_held']} / {f['drills_planned']}",
            percent(f["trained"], f["staff"]),
            f["incidents"],
        )
        for name, f in report.figures["by_school"]
    ]
    schools = Section(
        "schools",
        _("Schools of the district"),
        [(_("Schools"), report.figures["schools"])],
        (header, rows) if rows else None,
    )
    return [schools, *build_sections(report, lang)]
