"""Numbers and dates from URLs, query strings and forms, bounded to what the database and the
calendar can hold, so a hostile value is refused before any query.

- URL ids: the `int` converter is replaced by `DbIntConverter` (0 .. 2**31-1, PostgreSQL's
  `integer`): `/drills/99999999999999999999` is a 404, not an overflow inside the driver.
- Query strings: `int_arg`, `date_arg` (missing or unreadable → the default the page shows;
  readable but out of range → 400).
- Forms: `db_int` / `optional_db_int` as `coerce=` of a SelectField, and `DB_INT` as a validator
  of an IntegerField.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

#: PostgreSQL `integer` (SQLite holds 64 bits; the smaller of the two rules).
DB_INT_MAX = 2**31 - 1
DB_INT_MIN = -(2**31)
#: Dates a school can mean: anything else is a typo or an attack (and date + timedelta overflows near 9999).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
#: Years shown by the pages that take ?year=.
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year


class DbIntConverter(IntegerConverter):
    """`<int:...>` that only matches ids the database can hold (else the URL is a 404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=DB_INT_MAX if max is None else max,
                         signed=signed)


def register(app) -> None:
    """Make `<int:...>` bounded; call before the blueprints add their rules."""
    app.url_map.converters["int"] = DbIntConverter


# --- query strings -------------------------------------------------------------------------------------------


def int_arg(name: str, default: int | None = None, lo: int = DB_INT_MIN, hi: int = DB_INT_MAX) -> int | None:
    """?name=<int>: missing or not a number → `default`; a number outside [lo, hi] → 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    if not lo <= value <= hi:
        abort(400)
    return value


def date_arg(name: str, default: dt.date | None = None, lo: dt.date = MIN_DATE,
             hi: dt.date = MAX_DATE) -> dt.date | None:
    """?name=YYYY-MM-DD: missing or not a date → `default`; a date outside [lo, hi] → 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    value = parse_date(raw)
    if value is None:
        return default
    if not lo <= value <= hi:
        abort(400)
    return value


def parse_date(raw: str | None) -> dt.date | None:
    """An ISO date, or None (never raises)."""
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def in_date_range(value: dt.date | None) -> bool:
    return value is None or MIN_DATE <= value <= MAX_DATE


# --- forms ---------------------------------------------------------------------------------------------------


def db_int(value):
    """SelectField coerce: an int the database can hold; anything else raises ValueError (a field error)."""
    number = int(value)
    if not DB_INT_MIN <= number <= DB_INT_MAX:
        raise ValueError("out of range")
    return number


def optional_db_int(value):
    """SelectField coerce for lists with a "— nobody —" choice: None for an empty or unreadable value; a number
    the database cannot hold raises ValueError (WTForms shows it as the field's error, nothing is queried)."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if not DB_INT_MIN <= number <= DB_INT_MAX:
        raise ValueError("out of range")
    return number


def DB_INT(form, field):  # noqa: N802 - used like the WTForms validator classes
    """IntegerField validator: refuse numbers the database cannot hold."""
    if field.data is not None and not DB_INT_MIN <= field.data <= DB_INT_MAX:
        raise ValidationError(_l("This number is too large."))


def DB_DATE(form, field):  # noqa: N802
    """DateField validator: refuse dates no school means (year 1 or 9999)."""
    if not in_date_range(field.data):
        raise ValidationError(_l("Check the date."))
