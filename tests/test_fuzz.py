"""Standing fuzz test (issue 18): no input answers 5xx.

Every rule of the URL map is requested, as a director and as a teacher, in a new school per example
holding every kind of record a URL names (the access matrix's `objects(f, school)` builders give the
real ids).  Per rule and example:

- GET twice: once with every query-string name the area reads (found in its source:
  `request.args.get("…")`, `int_arg("…")`, `date_arg("…")`, `args.get("…")`, plus a few common names)
  set to this example's class of systematic value, once with each name sent or not with a value of
  its own;
- POST twice, starting from the form the app's own pages show for that endpoint (field names and the
  values the page filled in, `item-12` and the like included): once with every number, date and time
  field set to this example's class of systematic value, once with each field kept, left out, sent
  twice or hostile, other fields of the area's forms added now and then, a NUL now and then, with a
  valid CSRF token (sometimes none or a wrong one);
- now and then a URL argument itself replaced by a hostile id or string.

Hostile: very long strings, NUL, lone surrogates (sent as raw bytes), RTL and zero-width characters,
HTML, SQL, huge and negative numbers, impossible dates and times, unknown enum values.

Seeded and bounded: hypothesis with `derandomize=True` (the same examples on every run and on both
databases), no shrinking, EXAMPLES examples per area and role.  A failure prints the request and the
server's traceback, and hypothesis prints every draw of the example.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

import safetyops
from safetyops.extensions import db
from tests.conftest import login
from tests.test_access_matrix import RULES, _objects

#: Examples per (area, role): each example requests every rule of the area once or twice.  A deeper run:
#: SAFETYOPS_FUZZ_EXAMPLES=50 pytest tests/test_fuzz.py (still the same examples first: derandomized).
EXAMPLES = int(os.environ.get("SAFETYOPS_FUZZ_EXAMPLES", "3"))

PACKAGE = Path(safetyops.__file__).parent
FUZZ_RULES = [r for r in RULES if r.endpoint != "static"]
AREAS = sorted({r.endpoint.split(".")[0] for r in FUZZ_RULES})

#: Query-string names every page is tried with (besides those its area's code reads).
COMMON_ARGS = ["d", "day", "q", "page", "year", "month", "from", "to", "next", "kind", "status", "id", "lang"]

STRINGS = [
    "", " ", "\ud800", "x\udfffy", "\u202eevil\u202c", "\u200b\u200d\ufeff", "😀" * 40,
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' OR '1'='1' --", "%00", "../../etc/passwd",
    "A" * 5000, "Ж" * 60_000, "\r\n\tX-Injected: 1",
    "unknown", "DIRECTOR", "director", "admin", "y", "on", "true", "null", "[]", "{}",
]
NUMBERS = [
    "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "99999999999999999999",
    "-99999999999999999999", "1e309", "NaN", "-inf", "1.5", "0x10", "１２３", "٣",
]
DATES = [
    "9999-12-31", "0001-01-01", "0000-00-00", "2026-02-30", "2026-13-01", "10000-01-01", "-2026-01-01", "2026-W05",
    "1899-12-31", "2200-01-01", "9999-12-31T23:59", "2026-11-24", "2026-11-24 00:00",
]
TIMES = ["25:61", "24:00", "23:59:60", "-01:00", "12", "12:00:00.000001", "7:5", "00:00"]
#: A hostile value.  NUL is left out here: it is refused before any view (tests/test_hostile_input.py), so a
#: form carrying one would test nothing else; `_pairs` puts one in now and then.
VALUE = st.one_of(
    st.sampled_from(STRINGS),
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    st.sampled_from(TIMES),
    st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
#: A hostile value of the field's kind two times in three (a date for a date field...), any other else.
BY_KIND = {
    "date": st.one_of(st.sampled_from(DATES), st.sampled_from(DATES), VALUE),
    "time": st.one_of(st.sampled_from(TIMES), st.sampled_from(TIMES), VALUE),
    "number": st.one_of(st.sampled_from(NUMBERS), st.sampled_from(NUMBERS), VALUE),
    "text": VALUE,
}
#: One class of hostile value per example, for every field or query-string name of the kinds it names at once
#: (the others keep the page's own value): what the random draws reach only now and then.  One kind at a
#: time first, so that a valid date does not hide a huge id and the other way round.
SYSTEMATIC = [
    {"number": "99999999999999999999", "text": "99999999999999999999"},
    {"date": "9999-12-31", "time": "24:00", "text": "9999-12-31"},
    {"number": "0", "date": "0001-01-01", "time": "25:61", "text": "0"},
    {"number": "-2147483649", "text": "-1"},
    {"date": "2026-02-30", "time": "-01:00", "text": "0001-01-01"},
    {"number": "1e309", "date": "10000-01-01", "time": "23:59:60", "text": "Ж" * 3000},
]
#: Query-string names whose kind the name tells.
ARG_KINDS = {"d": "date", "day": "date", "from": "date", "to": "date", "year": "number", "page": "number",
             "before": "number", "class": "number", "zone": "number", "asset": "number", "assignee": "number",
             "weekday": "number", "grade": "number", "month": "date"}
#: Stands for the visitor's current CSRF token in a drawn form.
TOKEN = object()
HOSTILE_INT_ARGS = ["0", "2147483648", "99999999999999999999", "-1"]
HOSTILE_STR_ARGS = ["\x00", "a\x00b", "A" * 3000, "\ud800", "<b>x</b>", "..", "%2F", "\u202e"]


# --- what each area reads ---------------------------------------------------------------------------------------

_ARG_PATTERNS = [
    r"request\.args\.get\(\s*\"([^\"]+)\"", r"request\.args\[\s*\"([^\"]+)\"\]", r"\bint_arg\(\s*\"([^\"]+)\"",
    r"\bdate_arg\(\s*\"([^\"]+)\"", r"\bargs\.get\(\s*\"([^\"]+)\"", r"\b_day_arg\(\s*\"([^\"]+)\"",
]


def _area_source(area: str) -> str:
    folder = PACKAGE / area
    return "\n".join(p.read_text() for p in sorted(folder.glob("*.py"))) if folder.is_dir() else ""


def query_names(area: str) -> list[str]:
    source = _area_source(area)
    found = {m for pattern in _ARG_PATTERNS for m in re.findall(pattern, source)}
    return sorted(found | set(COMMON_ARGS))


def form_names(area: str) -> set[str]:
    """Every field of every form class of the area, and every `request.form.get("…")` name."""
    import importlib

    names = set(re.findall(r"request\.form\.get\(\s*\"([^\"]+)\"", _area_source(area)))
    try:
        module = importlib.import_module(f"safetyops.{area}.forms")
    except ImportError:
        return names
    for _name, cls in inspect.getmembers(module, inspect.isclass):
        for attr in dir(cls):
            if isinstance(getattr(cls, attr, None), UnboundField):
                names.add(attr)
    return names


class _Forms(HTMLParser):
    """The inputs of each <form> on a page with the values the page filled in, by the form's action path:
    the valid baseline a hostile value is put into."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        #: field name -> "date", "time", "number" (numbers, selects, ids) or "text"
        self.kinds: dict[str, str] = {}
        self.page = ""
        self._current: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def read(self, page: str, html: str) -> None:
        self.page = page
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        name = attrs.get("name")
        if tag == "form":
            action = urllib.parse.urlsplit(attrs.get("action", "")).path or self.page
            self._current = self.forms.setdefault(action, {})
        elif self._current is None or not name:
            if tag == "option" and self._select and self._current is not None:
                if self._select not in self._current or "selected" in attrs:
                    self._current[self._select] = attrs.get("value", "")
            return
        elif tag == "select":
            self._select = name
            self.kinds[name] = "number"
        elif tag == "textarea":
            self._textarea = name
            self._current.setdefault(name, "")
        elif tag in ("input", "button"):
            kind = attrs.get("type", "text")
            self.kinds[name] = {"date": "date", "time": "time", "number": "number", "checkbox": "number",
                                "radio": "number"}.get(kind, "number" if name.endswith("_id") else "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                self._current.setdefault(name, "")
            elif kind not in ("file", "submit", "image") or tag == "button":
                self._current[name] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea and self._current is not None:
            self._current[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


# --- requests ---------------------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    """Percent-encode as a browser would, lone surrogates included (as the bytes a broken client sends)."""
    return urllib.parse.quote(value.encode("utf-8", "surrogatepass"), safe="")


def _encode(pairs) -> str:
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)


class Visitor:
    """One signed-in person's browser: keeps them signed in, unlocked and holding a CSRF token."""

    def __init__(self, client, user, caplog):
        self.client, self.user, self.caplog = client, user, caplog
        self.token = None
        self.requests = 0
        self.statuses: dict = {}

    def ready(self):
        with self.client.session_transaction() as sess:
            signed_in = sess.get("_user_id") == self.user.get_id() and "csrf_token" in sess
            for key in ("gate_locked", "gate_shift", "school_id"):
                sess.pop(key, None)
        if not signed_in or self.token is None:
            db.session.expire_all()
            login(self.client, self.user)
            page = self.client.get("/")
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
            assert match, f"no CSRF token on the home page ({page.status_code})"
            self.token = match.group(1)

    def send(self, method: str, path: str, query: str = "", pairs: list | None = None) -> int:
        self.ready()
        body = None if pairs is None else _encode([(k, self.token if v is TOKEN else v) for k, v in pairs])
        self.caplog.clear()
        self.requests += 1
        where = f"{method} {path}{'?' + query if query else ''}"
        try:
            resp = self.client.open(path, method=method, query_string=query or None,
                                    data=body.encode("ascii") if body is not None else None,
                                    content_type="application/x-www-form-urlencoded" if body is not None else None)
            resp.get_data()
            resp.close()
        except Exception as err:  # noqa: BLE001 - report the request that broke the app, whatever it raised
            pytest.fail(f"{where}\nbody: {(body or '')[:600]}\nraised {type(err).__name__}: {err}")
        self.statuses[(method, resp.status_code)] = self.statuses.get((method, resp.status_code), 0) + 1
        if resp.status_code >= 500:
            logged = "\n".join(r.getMessage() + ("\n" + r.exc_text if r.exc_text else "")
                               for r in self.caplog.records if r.levelno >= logging.ERROR)
            if not logged:
                logged = "\n".join(
                    logging.Formatter().formatException(r.exc_info) for r in self.caplog.records if r.exc_info)
            pytest.fail(f"{resp.status_code} on {where}\nbody: {(body or '')[:600]}\n{logged[-3000:]}")
        return resp.status_code


def _url(rule, values, data) -> str:
    """The rule's URL with real ids, or now and then a hostile URL argument."""
    args = {k: v for k, v in values.items() if k in rule.arguments}
    hostile = [a for a in sorted(rule.arguments - set(rule.defaults or {})) if a in args]
    if hostile and data.draw(st.integers(0, 3), label="hostile url arg?") == 0:
        name = data.draw(st.sampled_from(hostile), label="url arg")
        marker = 7_654_321 if isinstance(args[name], int) else "FUZZMARK"
        path = rule.build({**args, name: marker}, append_unknown=False)[1]
        choices = HOSTILE_INT_ARGS if isinstance(args[name], int) else HOSTILE_STR_ARGS
        return path.replace(str(marker), _quote(data.draw(st.sampled_from(choices), label=name)))
    return rule.build(args, append_unknown=False)[1]


def _value(name: str, kinds: dict[str, str]):
    return BY_KIND[kinds.get(name, "number" if name.endswith(("_id", "_ids")) else "text")]


def _pairs(baseline: dict[str, str], others: set[str], kinds: dict[str, str], data, label) -> list:
    """The page's own values with some replaced, left out or sent twice, and other fields the area's forms
    know added now and then: hostile values reach a view whose other fields are valid."""
    pairs = []
    for name in sorted(baseline):
        how = data.draw(st.integers(0, 9), label=f"{label} {name}: 0 missing, 1-2 hostile, 3 twice, else kept")
        if how == 0:
            continue
        value = data.draw(_value(name, kinds), label=f"{label} {name}") if how in (1, 2, 3) else baseline[name]
        pairs.append((name, value))
        if how == 3:
            pairs.append((name, baseline[name]))
    for name in sorted(others - set(baseline)):
        if data.draw(st.integers(0, 5), label=f"{label} {name}: 5 sent") == 5:
            pairs.append((name, data.draw(_value(name, kinds), label=f"{label} {name}")))
    if pairs and data.draw(st.integers(0, 9), label=f"{label}: 0 puts a NUL in") == 0:
        i = data.draw(st.integers(0, len(pairs) - 1), label="NUL in field")
        pairs[i] = (pairs[i][0], pairs[i][1] + "\x00")
    return pairs


def _discover(app, visitor, rules, values) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The forms on every page of these rules, with the values the pages filled in, by the endpoint they post to."""
    parser = _Forms()
    for rule in rules:
        if "GET" not in rule.methods:
            continue
        visitor.ready()
        path = rule.build({k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False)[1]
        resp = visitor.client.get(path)
        if resp.status_code == 200 and resp.mimetype == "text/html":
            parser.read(path, resp.get_data(as_text=True))
        resp.close()
    urls = app.url_map.bind("localhost")
    by_endpoint: dict[str, dict[str, str]] = {}
    for action, fields in parser.forms.items():
        try:
            endpoint, _args = urls.match(action, method="POST")
        except Exception:  # noqa: BLE001 - a form posting elsewhere (or by GET) is no baseline
            continue
        by_endpoint.setdefault(endpoint, {}).update(fields)
    return by_endpoint, parser.kinds


@pytest.mark.parametrize("role", ["director", "teacher"])
@pytest.mark.parametrize("area", AREAS)
def test_no_input_answers_5xx(area, role, app, client, f, caplog):
    caplog.set_level(logging.ERROR)
    visitor = Visitor(client, None, caplog)
    values = _fresh_school(f, role, visitor)
    # a URL argument no objects() builder makes is the access matrix's to report (test_every_route_...)
    rules = [r for r in FUZZ_RULES if r.endpoint.split(".")[0] == area
             and not (r.arguments - set(r.defaults or {})) - values.keys()]
    forms, kinds = _discover(app, visitor, rules, values)
    args = query_names(area)
    fields = form_names(area)

    # No shrinking: the draws of a failing example are printed whole, and shrinking a walk over every route
    # would take minutes.
    round_ = [0]  # the example's number: its class of systematic values

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def walk(data):
        values = _fresh_school(f, role, visitor)  # the last example's POSTs may have deleted or closed its records
        for rule in rules:
            path = _url(rule, values, data)
            if "GET" in rule.methods:
                # every name the area reads: one value of this round's class for all of them, then each
                # sent or not with a value of its own
                round_value = SYSTEMATIC[round_[0] % len(SYSTEMATIC)]
                visitor.send("GET", path, _encode([(n, round_value[ARG_KINDS.get(n, "text")]) for n in args
                                                   if ARG_KINDS.get(n, "text") in round_value]))
                chosen = [n for n in args if data.draw(st.booleans(), label=f"?{n} sent")]
                visitor.send("GET", path, _encode([(n, data.draw(_value(n, ARG_KINDS), label=f"?{n}"))
                                                   for n in chosen]))
            if "POST" in rule.methods:
                baseline = {k: v for k, v in forms.get(rule.endpoint, {}).items() if k != "csrf_token"}
                # the page's own form with every number, date and time of this round's class, text kept
                round_value = SYSTEMATIC[round_[0] % len(SYSTEMATIC)]
                pairs = [(k, round_value.get(kinds.get(k, "text"), v) if kinds.get(k, "text") != "text" else v)
                         for k, v in baseline.items()]
                visitor.send("POST", path, pairs=[("csrf_token", TOKEN), *pairs])
                # and each field kept, left out, sent twice or hostile on its own
                pairs = _pairs(baseline, fields - {"csrf_token"}, kinds, data, rule.endpoint)
                token = data.draw(st.sampled_from(["valid"] * 8 + ["missing", "garbage"]), label="csrf")
                if token != "missing":
                    pairs.insert(0, ("csrf_token", TOKEN if token == "valid" else "garbage"))
                visitor.send("POST", path, pairs=pairs)
        round_[0] += 1

    walk()
    assert visitor.requests >= len(rules)
    # the walk reached the views (a broken CSRF token or sign-in would make every answer a 400 or 302)
    reached = sum(n for (_method, status), n in visitor.statuses.items() if status in (200, 422, 409))
    assert reached or role != "director", sorted(visitor.statuses.items())


def _fresh_school(f, role, visitor) -> dict:
    """A new school with every kind of record a URL names, and a person of `role` there, signed in."""
    school = f.school(district=f.school_a.district)
    visitor.user = f.user(role, school, locale="ky")
    values = _objects(f, school)
    db.session.commit()  # a view's rollback after a refusal must not undo them (the test's savepoint only)
    return values
