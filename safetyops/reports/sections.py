"""Reports: the words of a safety report, in the person's language: its sections (what was checked,
found and fixed, the drills, the gate, the regulation's duties) and the problems pre-filled for the
director to edit."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from ..accidents.models import INCIDENT_LABELS, IncidentKind
from ..drills.models import (
    DRILL_KIND_LABELS,
    clock,
)
from ..inspections.models import (
    SEVERITY_LABELS,
    Severity,
    pick_text,
)
from ..inspections.services import current_versions, deficiency_texts
from ..roadsafety.models import EVENT_LABELS, EventKind
from .services import SafetyReport, Section


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def build_sections(report: SafetyReport, lang: str) -> list[Section]:
    """The report's sections in the current locale (call inside `force_locale`)."""
    f = report.figures
    versions = current_versions()
    sev = {s.value: str(SEVERITY_LABELS[s]) for s in Severity}
    found_total = sum(f["found"].values())
    sections = [
        Section("inspections", _("Inspections"), [
            (_("Checks that fell due"), f["checks_due"]),
            (_("Done on time"), f"{f['checks_on_time']} ({percent(f['checks_on_time'], f['checks_due'])})"),
            (_("Done late"), f["checks_late"]),
            (_("Missed"), f["checks_missed"]),
        ], ((_("Checklist"), _("Missed")),
            [(versions[k].title(lang) if k in versions else k, n)
             for k, n in sorted(f["missed_by"].items(), key=lambda kv: -kv[1])]) if f["missed_by"] else None),
    ]
    texts = deficiency_texts({r[0] for r in f["open_list"] if r[4] is not None})
    sections.append(Section("deficiencies", _("Deficiencies"), [
        (_("Found in the period"), found_total),
        *((f"    {sev[k]}", f["found"].get(k, 0)) for k in ("critical", "major", "minor")),
        (_("Fixed in the period"), f["fixed"]),
        (_("Open now"), f"{f['open']} ({_('critical')}: {f['open_critical']})"),
    ], ((_("No."), _("Deficiency"), _("Severity"), _("Open, days")),
        [(i, pick_text(texts.get(i), lang) or title, sev.get(s, s), age)
         for i, title, s, age, _a in f["open_list"][:30]]) if f["open_list"] else None))
    drill_rows = []
    for d, seconds in f["drills"]:
        took, target = clock(seconds), clock(d.target_seconds)  # as the drill's board and PDF write them
        kind = str(DRILL_KIND_LABELS.get(d.kind, d.kind))
        drill_rows.append((format_date(d.started_dt.date(), "short"),
                           kind + (f" ({_('real emergency')})" if d.is_real else ""),
                           took, target, "—" if seconds is None else (_("yes") if seconds <= d.target_seconds
                                                                      else _("no"))))
    sections.append(Section("drills", _("Drills and evacuation"), [
        (_("Drills planned"), f["drills_planned"]),
        (_("Drills held"), f["drills_held"]),
        (_("Real emergencies"), f["emergencies"]),
    ], ((_("Date"), _("Kind"), _("Evacuation time"), _("Target"), _("In time")), drill_rows) if drill_rows else None))
    sections.append(Section("training", _("Staff training and instruction"), [
        (_("Staff"), f["staff"]),
        (_("With a safety course in force"), f"{f['trained']} ({percent(f['trained'], f['staff'])})"),
    ]))
    sections.append(Section("gate", _("Access control"), [
        (_("Visitors, vehicles and deliveries"), f["visitors"]),
        (_("Watchlist matches"), f["watchlist_hits"]),
        (_("Entries refused"), f["refused"]),
        (_("Night rounds"), f["rounds"]),
        (_("Night rounds with a checkpoint missed"), f["rounds_missed"]),
    ]))
    sections.append(Section("roads", _("Road safety"), [
        (_("Road incidents with students"), f["incidents"]),
        (_("Young traffic inspectors in the squad"), f["squad_members"]),
        *((str(EVENT_LABELS[k]), f["road_events"].get(k.value, 0)) for k in EventKind),
    ]))
    sections.append(Section("canteen", _("Canteen"), [
        (_("Sanitary checks done"), f["canteen_checks"]),
        (_("Sanitary checks missed"), f["canteen_missed"]),
    ]))
    sections.append(Section("documents", _("Documents"), [
        (_("Documents to review by the end of the period"), f["documents_to_review"]),
    ]))
    sections.append(Section("accidents", _("Incidents and injuries at school"), [
        (_("Incidents"), sum(f["school_incidents"].values())),
        *((f"    {INCIDENT_LABELS[k]}", f["school_incidents"].get(k.value, 0)) for k in IncidentKind),
        (_("People injured"), f["injured"]),
        (_("Ambulance (103) called"), f["ambulance_calls"]),
    ]))
    sections.append(Section("ecology", _("Ecological safety"), [
        (_("Waste removals"), f"{f['removals']} ({_('%(m3)s m³', m3=_number(f['removed_m3']))})"),
        (_("Handed over for separate collection, kg"), _number(f["collected_kg"])),
        (_("Chemistry-lab residues disposed of"), f["lab_disposals"]),
        (_("Greening plan: done / planned"), f"{f['greening_done']} / {f['greening_planned']}"),
    ]))
    sections.append(Section("wellbeing", _("Psychological safety"), [
        (_("Anonymous reports received"), f["anonymous_reports"]),
        (_("Of them still open"), f["anonymous_open"]),
    ]))
    return sections


def _number(value) -> str:
    """12.50 -> "12.5", 3.0 -> "3" (volumes and weights)."""
    text = f"{float(value or 0):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def prefill_problems(report: SafetyReport, lang: str) -> str:
    """What the data shows, as the first draft of "problems, shortcomings and ways to solve them"."""
    f = report.figures
    lines = []
    if f["checks_missed"]:
        worst = max(f["missed_by"].items(), key=lambda kv: kv[1])
        v = current_versions().get(worst[0])
        lines.append(_("%(missed)s of %(due)s checks were missed (most: %(checklist)s). Remind those on duty "
                       "and check the rosters.", missed=f["checks_missed"], due=f["checks_due"],
                       checklist=v.title(lang) if v else worst[0]))
    if f["open_critical"]:
        oldest = max((age for _i, _t, s, age, _a in f["open_list"] if s == "critical"), default=0)
        lines.append(_("%(num)s critical deficiencies are open, the oldest for %(days)s days: fix them first and "
                       "name who is responsible.", num=f["open_critical"], days=oldest))
    if f["drills_held"] < f["drills_planned"]:
        lines.append(_("%(held)s of %(planned)s planned drills were held: hold the missing ones.",
                       held=f["drills_held"], planned=f["drills_planned"]))
    late = [(d, s) for d, s in f["drills"] if s is not None and s > d.target_seconds]
    if late:
        lines.append(_("Evacuation took longer than the target in %(num)s drills: practise the routes with the "
                       "classes concerned.", num=len(late)))
    if f["staff"] and f["trained"] < f["staff"]:
        lines.append(_("%(num)s staff members have no safety course in force: plan their training.",
                       num=f["staff"] - f["trained"]))
    if f["watchlist_hits"]:
        lines.append(_("The watchlist matched %(num)s times at the gate: review them with the guards.",
                       num=f["watchlist_hits"]))
    if f["rounds_missed"]:
        lines.append(_("%(missed)s of %(total)s night rounds missed a checkpoint: check the guards' rounds.",
                       missed=f["rounds_missed"], total=f["rounds"]))
    if f["incidents"]:
        lines.append(_("%(num)s road incidents with students: hold targeted briefings and review the school "
                       "route.", num=f["incidents"]))
    if f["documents_to_review"]:
        lines.append(_("%(num)s documents are due for review.", num=f["documents_to_review"]))
    if f["injured"]:
        lines.append(_("%(num)s people were injured at school: review where it happened and the measures taken.",
                       num=f["injured"]))
    if f["anonymous_open"]:
        lines.append(_("%(num)s anonymous reports of the period are still open: the psychologist and the deputy "
                       "for upbringing deal with them.", num=f["anonymous_open"]))
    if not lines:
        lines.append(_("No problems shown by the data for this period."))
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))
