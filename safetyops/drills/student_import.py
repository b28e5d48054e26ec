"""Import class lists from CSV or XLSX: class, student, and optionally a guardian with written consent.

The file is read as the staff import reads it (`rosters.staff_import.read_rows`: UTF-8 CSV with any of
, ; tab, or the first sheet of an .xlsx).  One row per guardian; a child with two guardians is on two
rows, a child without one has the guardian's columns empty.  All or nothing: every row is checked first
and every bad row is reported with its row number, column and reason; if any is bad, nothing is saved.
Idempotent: a child already on the class's list, and a guardian whose phone the child already has, are
left as they are, so the same file imported twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..errors_service import ServiceError
from ..extensions import db
from ..rosters.staff_import import ImportFailed, Problem, from_upload, read_rows
from ..schools.models import School
from .models import Guardian, SchoolClass, Student
from .reunion import name_key
from .reunion_lists import clean_guardian

__all__ = ["ImportFailed", "Problem", "Checked", "check", "apply", "import_file", "from_upload", "HEADERS"]

HEADERS = {
    "class": {"class", "класс", "класс/группа", "сынып", "группа"},
    "student": {"student", "pupil", "name", "ученик", "учащийся", "фио ученика", "окуучу", "оқушы"},
    "guardian": {"guardian", "parent", "родитель", "законный представитель", "ата-эне", "ата-ана"},
    "relation": {"relation", "кем приходится", "степень родства", "туугандыгы", "туыстығы"},
    "phone": {"phone", "mobile", "телефон", "тел"},
    "language": {"language", "lang", "язык", "тил", "тілі"},
    "consent_date": {"consent date", "consent_date", "дата согласия", "макулдук датасы", "келісім күні"},
    "consent_ref": {"consent paper", "consent_ref", "consent", "согласие", "номер согласия", "макулдук", "келісім"},
}
GUARDIAN_COLUMNS = ("guardian", "relation", "phone", "language", "consent_date", "consent_ref")
LANGUAGE_ALIASES = {
    "кыргызча": "ky",
    "кыргыз": "ky",
    "русский": "ru",
    "орусча": "ru",
    "қазақша": "kk",
    "казахский": "kk",
    "english": "en",
}


@dataclass
class Checked:
    new_students: list[tuple[int, str, str]] = field(default_factory=list)  # (row, class name, student name)
    new_guardians: list[tuple[int, str, str, dict]] = field(default_factory=list)  # (row, class, student, values)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


def _date(raw: str) -> dt.date | None:
    raw = raw.strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def check(school: School, rows: list[list[str]], today: dt.date) -> Checked:
    """Check every row; nothing is written."""
    out = Checked()
    header = [h.strip().lower() for h in rows[0]]
    columns: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                columns[key] = i
                break
    missing = [k for k in ("class", "student") if k not in columns]
    if missing:
        for k in missing:
            out.problems.append(Problem(1, k, _l("This column is missing.")))
        return out
    classes = {
        c.name.strip().lower(): c
        for c in db.session.scalars(
            sa.select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.is_active.is_(True))
        )
    }
    listed = {
        (s.class_id, s.full_name): s
        for s in db.session.scalars(
            sa.select(Student).where(Student.school_id == school.id, Student.anonymised_dt.is_(None))
        )
    }
    phones = {
        (g.student_id, g.phone) for g in db.session.scalars(sa.select(Guardian).where(Guardian.school_id == school.id))
    }
    new_students: set[tuple[int, str]] = set()
    seen_guardians: dict[tuple[int, str, str], int] = {}
    for n, raw in enumerate(rows[1:], start=2):

        def cell(key, raw=raw):
            i = columns.get(key)
            return raw[i].strip() if i is not None and i < len(raw) else ""

        klass = classes.get(cell("class").lower())
        name = " ".join(cell("student").split())
        bad = False
        if klass is None:
            out.problems.append(
                Problem(
                    n,
                    "class",
                    _l("No active class “%(name)s” at this school.", name=cell("class"))
                    if cell("class")
                    else _l("The class is empty."),
                )
            )
            bad = True
        if not name:
            out.problems.append(Problem(n, "student", _l("The name is empty.")))
            bad = True
        elif len(name) > 200:
            out.problems.append(Problem(n, "student", _l("The name is too long.")))
            bad = True
        values = None
        if any(cell(k) for k in GUARDIAN_COLUMNS):
            lang_raw = cell("language").lower()
            try:
                values = clean_guardian(
                    school,
                    full_name=cell("guardian"),
                    relation=cell("relation"),
                    phone=cell("phone"),
                    locale=LANGUAGE_ALIASES.get(lang_raw, lang_raw) or school.default_locale,
                    consent_on=_date(cell("consent_date")) if cell("consent_date") else None,
                    consent_ref=cell("consent_ref"),
                    today=today,
                )
            except ServiceError as err:
                column = {"full_name": "guardian", "consent_on": "consent_date"}.get(err.field or "", err.field or "")
                reason = err.message
                if err.field == "consent_on" and cell("consent_date") and _date(cell("consent_date")) is None:
                    reason = _l("Write the date as 31.08.2026.")
                out.problems.append(Problem(n, column, reason))
                bad = True
            else:
                lang = LANGUAGE_ALIASES.get(lang_raw, lang_raw)
                if lang and lang not in ("ky", "ru", "kk", "en"):
                    out.problems.append(
                        Problem(
                            n,
                            "language",
                            _l("Unknown language “%(lang)s”. Use ky, ru, kk or en.", lang=cell("language")),
                        )
                    )
                    bad = True
        if bad:
            continue
        key = (klass.id, name)
        student = listed.get(key)
        if student is None and key not in new_students:
            new_students.add(key)
            out.new_students.append((n, klass.name, name))
        elif values is None:
            out.unchanged += 1
        if values is not None:
            gkey = (klass.id, name, values["phone"])
            if gkey in seen_guardians:
                out.problems.append(
                    Problem(n, "phone", _l("The same phone is on row %(row)s.", row=seen_guardians[gkey]))
                )
                continue
            seen_guardians[gkey] = n
            if student is not None and (student.id, values["phone"]) in phones:
                out.unchanged += 1
            else:
                out.new_guardians.append((n, klass.name, name, values))
    return out


def apply(actor, school: School, checked: Checked) -> tuple[int, int]:
    """Add the new children and guardians (only when there is no problem at all).  Returns (children, guardians)."""
    if checked.problems:
        raise ImportFailed(checked.problems)
    classes = {c.name: c for c in db.session.scalars(sa.select(SchoolClass).where(SchoolClass.school_id == school.id))}
    made: dict[tuple[str, str], Student] = {}
    for _row, class_name, name in checked.new_students:
        student = Student(school_id=school.id, class_id=classes[class_name].id, full_name=name, name_key=name_key(name))
        db.session.add(student)
        made[(class_name, name)] = student
    db.session.flush()
    for _row, class_name, name, values in checked.new_guardians:
        student = made.get((class_name, name)) or db.session.scalar(
            sa.select(Student).where(
                Student.school_id == school.id, Student.class_id == classes[class_name].id, Student.full_name == name
            )
        )
        db.session.add(Guardian(school_id=school.id, student_id=student.id, **values))
    db.session.flush()
    record(
        actor,
        school,
        "students.import",
        None,
        detail=f"students={len(made)},guardians={len(checked.new_guardians)},unchanged={checked.unchanged}",
    )
    return len(made), len(checked.new_guardians)


def import_file(actor, school: School, filename: str, data: bytes, today: dt.date) -> tuple[int, int, Checked]:
    checked = check(school, read_rows(filename, data), today)
    students, guardians = apply(actor, school, checked)
    return students, guardians, checked
