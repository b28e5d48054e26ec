"""Import staff from CSV or XLSX: name, phone, role, language.

All or nothing: every row is checked first and every bad row is reported with its row number,
column and reason; if any is bad, nothing is saved.  Idempotent: a person whose phone is
already on this school's staff is left as is, so the same file imported twice changes nothing.
New accounts get no password: the director issues a one-time password from the staff page
(the same rule as `schools.services.create_staff`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.models import User
from ..auth.roles import SCHOOL_ROLES, Role
from ..config import LANGUAGES
from ..extensions import db
from ..phones import normalize_phone
from ..schools.authority import grantable_roles
from ..schools.models import Membership, School

MAX_ROWS = 2000

HEADERS = {
    "name": {"name", "full name", "full_name", "фио", "аты-жөнү", "имя", "толық аты"},
    "phone": {"phone", "mobile", "телефон", "тел"},
    "role": {"role", "роль", "ролу", "рөлү", "кызматы", "должность"},
    "language": {"language", "lang", "locale", "язык", "тил", "тілі"},
}
ROLE_ALIASES = {
    "учитель": "teacher", "мугалим": "teacher", "мұғалім": "teacher", "педагог": "teacher",
    "охранник": "guard", "сторож": "guard", "күзөтчү": "guard", "күзетші": "guard",
    "директор": "director", "завуч": "deputy", "заместитель": "deputy", "медсестра": "nurse",
    "повар": "canteen", "столовая": "canteen", "ашкана": "canteen", "асхана": "canteen",
}
LANGUAGE_ALIASES = {"кыргызча": "ky", "кыргыз": "ky", "русский": "ru", "орусча": "ru", "қазақша": "kk",
                    "казахский": "kk", "english": "en"}


@dataclass
class Problem:
    row: int  # 1 = the header row; 0 = the file itself
    column: str
    reason: object

    def __str__(self) -> str:
        where = str(_l("row %(row)s", row=self.row)) if self.row else str(_l("file"))
        return f"{where}, {self.column or '—'}: {self.reason}" if self.column else f"{where}: {self.reason}"


@dataclass
class Person:
    row: int
    full_name: str
    phone: str
    role: str
    locale: str


@dataclass
class Checked:
    new: list[Person] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


#: The largest file an import page takes.
MAX_UPLOAD = 5 * 1024 * 1024


def from_upload(field, run) -> tuple[list[Problem], object | None]:
    """An import page's POST: the file chosen in the form's `field` (at most 5 MB) given to
    `run(filename, data)`.  Returns (problems, None) when the file was refused (nothing written),
    else ([], what `run` returned).  No file chosen: the field says so and nothing runs."""
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        field.errors = [_l("Choose a file.")]
        return [], None
    try:
        data = upload.read(MAX_UPLOAD + 1)
    finally:
        upload.close()  # a large file is a temporary file on disk: give it back now
    try:
        if len(data) > MAX_UPLOAD:
            raise ImportFailed([Problem(0, "", _l("The file is larger than 5 MB."))])
        return [], run(upload.filename, data)
    except ImportFailed as err:  # raised before anything is written
        return err.problems, None


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The cells of the file as text, header first.  Raises ImportFailed for an unreadable file."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as err:  # noqa: BLE001 - any parse failure means "not an Excel file"
            raise ImportFailed([Problem(0, "", _l("This is not a valid Excel (.xlsx) file."))]) from err
        ws = wb.worksheets[0]
        rows = [["" if c is None else str(c).strip() for c in r] for r in ws.iter_rows(values_only=True)]
        wb.close()
    elif name.endswith(".csv") or name.endswith(".txt"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ImportFailed([Problem(0, "", _l("The file is not UTF-8 text. Save it as “CSV UTF-8”."))]) from err
        first = text.split("\n", 1)[0]
        delimiter = max([",", ";", "\t"], key=first.count)
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    else:
        raise ImportFailed([Problem(0, "", _l("Choose a .csv or .xlsx file."))])
    rows = [r for r in rows if any(r)]
    if not rows:
        raise ImportFailed([Problem(0, "", _l("The file is empty."))])
    if len(rows) > MAX_ROWS + 1:
        raise ImportFailed([Problem(0, "", _l("At most %(n)s people per file.", n=MAX_ROWS))])
    return rows


def check(school: School, rows: list[list[str]], progress=None, roles=None) -> Checked:
    """Check every row; nothing is written."""
    out = Checked()
    header = [h.strip().lower() for h in rows[0]]
    columns = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                columns[key] = i
                break
    missing = [k for k in ("name", "phone", "role") if k not in columns]
    if missing:
        for k in missing:
            out.problems.append(Problem(1, k, _l("This column is missing.")))
        return out
    # The CLI may give any school role; a person in the browser only the roles they may grant.
    roles = {r.value for r in (SCHOOL_ROLES if roles is None else roles)}
    seen_phones: dict[str, int] = {}
    parsed: list[Person] = []
    for n, raw in enumerate(rows[1:], start=2):
        if progress:
            progress(1)

        def cell(key, raw=raw):
            i = columns.get(key)
            return raw[i].strip() if i is not None and i < len(raw) else ""

        name, phone_raw, role_raw, lang_raw = cell("name"), cell("phone"), cell("role").lower(), cell("language")
        bad = False
        if not name:
            out.problems.append(Problem(n, "name", _l("The name is empty.")))
            bad = True
        elif len(name) > 200:
            out.problems.append(Problem(n, "name", _l("The name is too long.")))
            bad = True
        phone = normalize_phone(phone_raw, school.country) if phone_raw else None
        if not phone:
            out.problems.append(Problem(n, "phone", _l("Not a valid phone number.") if phone_raw
                                        else _l("The phone is empty.")))
            bad = True
        elif phone in seen_phones:
            out.problems.append(Problem(n, "phone", _l("The same phone is on row %(row)s.", row=seen_phones[phone])))
            bad = True
        else:
            seen_phones[phone] = n
        role = ROLE_ALIASES.get(role_raw, role_raw)
        if role not in roles:
            out.problems.append(Problem(n, "role", _l("Unknown role “%(role)s”. Use one of: %(roles)s.",
                                                      role=role_raw, roles=", ".join(sorted(roles)))))
            bad = True
        lang = LANGUAGE_ALIASES.get(lang_raw.lower(), lang_raw.lower()) or school.default_locale
        if lang not in LANGUAGES:
            out.problems.append(Problem(n, "language", _l("Unknown language “%(lang)s”. Use ky, ru, kk or en.",
                                                          lang=lang_raw)))
            bad = True
        if not bad:
            parsed.append(Person(n, name, phone, role, lang))
    if parsed:
        phones = [p.phone for p in parsed]
        users = {u.phone: u for u in db.session.scalars(sa.select(User).where(User.phone.in_(phones)))}
        members = set(db.session.scalars(sa.select(Membership.user_id).where(
            Membership.school_id == school.id, Membership.user_id.in_([u.id for u in users.values()]))))
        usernames = set(db.session.scalars(sa.select(User.username).where(
            User.username.in_([_username(p.phone) for p in parsed]))))
        for p in parsed:
            user = users.get(p.phone)
            if user is not None and user.id in members:
                out.unchanged.append(p)
            elif user is not None:
                out.problems.append(Problem(p.row, "phone", _l("This phone belongs to an account at another "
                                                               "school; ask the administrator.")))
            elif _username(p.phone) in usernames:
                out.problems.append(Problem(p.row, "phone", _l("An account with this sign-in name exists.")))
            else:
                out.new.append(p)
    return out


def _username(phone: str) -> str:
    return phone.lstrip("+")


def apply(actor, school: School, checked: Checked, progress=None) -> list[User]:
    """Create the new accounts (only when there is no problem at all)."""
    if checked.problems:
        raise ImportFailed(checked.problems)
    made = []
    for p in checked.new:
        user = User(full_name=p.full_name, username=_username(p.phone), phone=p.phone, locale=p.locale,
                    password_hash="!", must_change_password=True)
        user.memberships.append(Membership(school_id=school.id, role=Role(p.role)))
        db.session.add(user)
        made.append(user)
        if progress:
            progress(1)
    db.session.flush()
    for user in made:
        record(actor, school, "staff.create", user, detail="import")
    record(actor, school, "staff.import", None, detail=f"new={len(made)} unchanged={len(checked.unchanged)}")
    return made


def import_file(actor, school: School, filename: str, data: bytes) -> tuple[list[User], Checked]:
    checked = check(school, read_rows(filename, data), roles=grantable_roles(actor, school))
    return apply(actor, school, checked), checked
