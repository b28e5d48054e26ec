"""Checklist template files: load, validate and fingerprint the YAML in `checklists/`.

Pure Python (PyYAML only): no Flask, no database.  One file holds one template; its
`id` is the file stem.  Validation works on YAML *nodes* (``yaml.compose``) so that
every error names the line it comes from, and it goes on after an error so that an
author sees every problem of a file at once.  A file with any error yields no
template: half a checklist never reaches the database.

    template, errors = load_file("checklists/fire_daily_walk.yaml")
    templates, errors = load_dir()          # the shipped folder
    for e in errors:
        print(e)                            # fire_daily_walk.yaml:12: items[3].text.kk: missing

Field paths in errors count list positions from 0 (``items[0]`` is the first item).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "AREAS",
    "ASSET_TYPES",
    "FREQUENCIES",
    "LANGUAGES",
    "ROLES",
    "SEVERITIES",
    "SHIPPED_DIR",
    "ZONE_KINDS",
    "Error",
    "Item",
    "Template",
    "Texts",
    "content_hash",
    "load_dir",
    "load_file",
    "load_text",
    "shipped_dir",
]

LANGUAGES = ("ky", "ru", "kk", "en")
ZONE_KINDS = (
    "gate",
    "corridor",
    "stairwell",
    "classroom",
    "canteen",
    "kitchen",
    "gym",
    "lab",
    "electrical_room",
    "boiler_room",
    "yard",
    "office",
    "other",
)
ASSET_TYPES = ("fire_extinguisher", "fire_alarm_panel", "electrical_panel", "hydrant", "emergency_light")
FREQUENCIES = ("daily", "school_days", "weekly", "monthly", "quarterly", "yearly")
AREAS = (
    "fire_safety",
    "electrical_safety",
    "civil_defence",
    "canteen",
    "information_security",
    "ecology",
    "access_control",
    "anti_terror",
)
ROLES = ("director", "deputy", "safety_officer", "teacher", "guard", "canteen", "nurse")
SEVERITIES = ("critical", "major", "minor")

#: Longest texts, in characters: an item text must fit a phone button.
TITLE_MAX = 80
ITEM_TEXT_MAX = 90
#: The deficiency wording (the corrective action's title when the item fails).
DEFICIENCY_MAX = 100
GUIDANCE_MAX = 200
SLUG_MAX = 64
#: A checklist file is small; anything bigger is a mistake.
MAX_FILE_BYTES = 256 * 1024

SUFFIXES = (".yaml", ".yml")

_TOP_REQUIRED = (
    "id",
    "version",
    "title",
    "applies_to",
    "frequency",
    "window",
    "area",
    "default_assignee_role",
    "items",
)
#: `deficiency`: what a failed item means, as the director reads it ("Extinguisher missing…"): the
#: corrective action's title.
_ITEM_REQUIRED = ("id", "text", "deficiency", "severity", "photo_on_fail")
#: `area`: this item's failure goes to another area's responsible person than the template's;
#: `document`: the kind of document in the register the item checks (safetyops.documents).
_ITEM_OPTIONAL = ("guidance", "area", "document")
_APPLIES_KEYS = ("zone_kinds", "asset_types")
_WINDOW_KEYS = ("opens", "due")

_SLUG_RE = re.compile(r"[a-z][a-z0-9_]*")
_TIME_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_DIGITS_RE = re.compile(r"[0-9]+")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_WORD_RE = re.compile(r"\w+")
_LATIN_RE = re.compile(r"[A-Za-z]")
#: Letters of Kazakh that Kyrgyz does not use: a Kyrgyz text holding them is most likely Kazakh.
_KAZAKH_ONLY = set("әғқұһіӘҒҚҰҺІ")
#: Letters of Kyrgyz and Kazakh that Russian does not use.
_NOT_RUSSIAN = set("өүңәғқұһіӨҮҢӘҒҚҰҺІ")

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _BOOL, _NULL = _TAG + "str", _TAG + "int", _TAG + "bool", _TAG + "null"
#: Scalars an author may have meant as text (``en: No`` is a bool to YAML 1.1, but the author meant "No").
_TEXTUAL_TAGS = {_STR, _INT, _BOOL, _TAG + "float", _TAG + "timestamp"}


def shipped_dir() -> Path:
    """The folder of shipped templates: `safetyops/checklists` in an installed package,
    else the top-level `checklists/` of a source checkout."""
    here = Path(__file__).resolve()
    inside = here.parents[1] / "checklists"
    if inside.is_dir():
        return inside
    return here.parents[2] / "checklists"


SHIPPED_DIR = shipped_dir()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Error:
    """One problem in one file.  `line` is 1-based, None when the whole file is meant;
    `field` is a path such as ``items[3].text.kk`` (empty for the file itself)."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class Texts:
    """One text in the four interface languages."""

    ky: str
    ru: str
    kk: str
    en: str

    def get(self, lang: str, fallback: str = "ru") -> str:
        """The text in `lang` (a locale such as ``ky_KG`` works too), else in `fallback`."""
        code = lang.replace("-", "_").split("_", 1)[0].lower()
        return getattr(self, code) if code in LANGUAGES else getattr(self, fallback)

    def as_dict(self) -> dict[str, str]:
        return {lang: getattr(self, lang) for lang in LANGUAGES}


@dataclass(frozen=True)
class Item:
    id: str
    text: Texts
    severity: str
    photo_on_fail: bool
    guidance: Texts | None = None
    area: str | None = None
    document: str | None = None
    #: Required by the validator; optional here only for the dataclass's field order.
    deficiency: Texts | None = None

    def to_dict(self) -> dict:
        data: dict = {
            "id": self.id,
            "text": self.text.as_dict(),
            "deficiency": self.deficiency.as_dict() if self.deficiency is not None else None,
            "severity": self.severity,
            "photo_on_fail": self.photo_on_fail,
        }
        if self.guidance is not None:
            data["guidance"] = self.guidance.as_dict()
        if self.area is not None:
            data["area"] = self.area
        if self.document is not None:
            data["document"] = self.document
        return data


@dataclass(frozen=True)
class Template:
    """A validated checklist template.  Exactly one of `zone_kinds` / `asset_types` is non-empty.
    `opens` and `due` are school-local times of the day the run is due."""

    id: str
    version: int
    title: Texts
    zone_kinds: tuple[str, ...]
    asset_types: tuple[str, ...]
    frequency: str
    opens: dt.time
    due: dt.time
    area: str
    default_assignee_role: str
    items: tuple[Item, ...]
    #: The file it was read from (not part of the content).
    source: Path | None = field(default=None, compare=False)

    @property
    def applies_to_assets(self) -> bool:
        return bool(self.asset_types)

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def to_dict(self) -> dict:
        """The content in the file's own shape (plain JSON types)."""
        applies = {"asset_types": list(self.asset_types)} if self.asset_types else {"zone_kinds": list(self.zone_kinds)}
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title.as_dict(),
            "applies_to": applies,
            "frequency": self.frequency,
            "window": {"opens": self.opens.strftime("%H:%M"), "due": self.due.strftime("%H:%M")},
            "area": self.area,
            "default_assignee_role": self.default_assignee_role,
            "items": [i.to_dict() for i in self.items],
        }


def content_hash(template: Template) -> str:
    """sha256 (hex) of the template's canonical JSON: equal content, equal hash, whatever
    the file's formatting, comments or key order.  Lets a sync see that a file changed
    without its `version` being raised."""
    canonical = json.dumps(template.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- loading


def load_file(path: str | os.PathLike[str]) -> tuple[Template | None, list[Error]]:
    """Read and validate one template file.  Returns the template (None if there is any
    error) and every error found."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [Error(name, None, "", f"file too large ({size} bytes, at most {MAX_FILE_BYTES})")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Error(name, None, "", f"cannot read file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Error(name, line, "", "not valid UTF-8 text")]
    return load_text(text, name, source=path)


def load_text(text: str, filename: str, *, source: Path | None = None) -> tuple[Template | None, list[Error]]:
    """Validate YAML text as if it were the file `filename` (its stem must equal the id)."""
    name = Path(filename).name
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = "YAML syntax error: " + (exc.problem or exc.context or "unreadable")
        if exc.context and exc.problem:
            message += f" ({exc.context})"
        return None, [Error(name, mark.line + 1 if mark else None, "", message)]
    except yaml.YAMLError as exc:  # e.g. a control character (ReaderError)
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if isinstance(position, int) else None
        return None, [Error(name, line, "", f"YAML error: {exc}")]
    checker = _Checker(name)
    template = checker.template(root, Path(filename).stem, source)
    errors = sorted(checker.errors, key=lambda e: (e.line or 0, e.field))
    return (template if not errors else None), errors


def load_dir(path: str | os.PathLike[str] | None = None) -> tuple[dict[str, Template], list[Error]]:
    """Load every ``*.yaml``/``*.yml`` file of a folder (default: `SHIPPED_DIR`).
    Returns the valid templates by id and the errors of all files."""
    directory = Path(path) if path is not None else SHIPPED_DIR
    if not directory.is_dir():
        return {}, [Error(str(directory), None, "", "not a directory")]
    files = sorted(
        p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file() and not p.name.startswith(".")
    )
    templates: dict[str, Template] = {}
    errors: list[Error] = []
    for file in files:
        template, file_errors = load_file(file)
        errors.extend(file_errors)
        if template is None:
            continue
        if template.id in templates:
            other = templates[template.id].source
            errors.append(
                Error(
                    file.name,
                    None,
                    "id",
                    f"duplicate template id {template.id!r} (also in {other.name if other else '?'})",
                )
            )
            continue
        templates[template.id] = template
    return templates, errors


# --------------------------------------------------------------------------- validation


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing"
    return repr(node.value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    """Walks the node tree, collecting errors.  Each method returns the value or None."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.errors: list[Error] = []

    def error(self, line: int | None, path: str, message: str) -> None:
        self.errors.append(Error(self.file, line, path, message))

    # ---- building blocks

    def mapping(
        self, node: Node, path: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Node] | None:
        """Check a mapping's keys; return the known keys' value nodes (missing ones absent)."""
        if not isinstance(node, MappingNode):
            self.error(_line(node), path or "(file)", f"must be a mapping of keys, not {_describe(node)}")
            return None
        allowed = (*required, *optional)
        found: dict[str, Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                self.error(_line(key_node), path or "(file)", f"keys must be plain names, not {_describe(key_node)}")
                continue
            key = key_node.value
            here = _join(path, key)
            if key in first_line:
                self.error(_line(key_node), here, f"duplicate key (first at line {first_line[key]})")
                continue
            first_line[key] = _line(key_node)
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; expected one of: {', '.join(allowed)}"
                self.error(_line(key_node), here, f"unknown key{suggestion}")
                continue
            found[key] = value_node
        for key in required:
            if key not in found and key not in first_line:
                self.error(_line(node), _join(path, key), "missing")
        return found

    def scalar_text(self, node: Node | None, path: str) -> str | None:
        """Any scalar the author wrote as text; whitespace collapsed, NFC-normalised."""
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.error(_line(node), path, f"must be text, not {_describe(node)}")
            return None
        if node.tag == _NULL:
            self.error(_line(node), path, "empty")
            return None
        if node.tag not in _TEXTUAL_TAGS:
            self.error(_line(node), path, f"unsupported YAML tag {node.tag!r}")
            return None
        value = unicodedata.normalize("NFC", " ".join(node.value.split()))
        if not value:
            self.error(_line(node), path, "empty")
            return None
        return value

    def slug(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        value = self.scalar_text(node, path)
        if value is None:
            return None
        if not _SLUG_RE.fullmatch(value) or len(value) > SLUG_MAX:
            self.error(
                _line(node),
                path,
                f"{value!r} is not a slug (lower-case latin letters, digits and _, starting with a letter)",
            )
            return None
        return value

    def choice(self, node: Node | None, path: str, allowed: Sequence[str], what: str) -> str | None:
        if node is None:
            return None
        value = self.scalar_text(node, path)
        if value is None:
            return None
        if value not in allowed:
            hint = difflib.get_close_matches(value, allowed, n=1)
            suggestion = f"did you mean {hint[0]!r}?" if hint else f"expected one of: {', '.join(allowed)}"
            self.error(_line(node), path, f"unknown {what} {value!r}; {suggestion}")
            return None
        return value

    def positive_int(self, node: Node | None, path: str) -> int | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag == _INT and _DIGITS_RE.fullmatch(node.value):
            number = int(node.value)
            if number >= 1:
                return number
        self.error(_line(node), path, f"must be a positive whole number, not {_describe(node)}")
        return None

    def boolean(self, node: Node | None, path: str) -> bool | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            return node.value.lower() in ("true", "yes", "on", "y")
        self.error(_line(node), path, f"must be true or false, not {_describe(node)}")
        return None

    def time(self, node: Node | None, path: str) -> dt.time | None:
        if node is None:
            return None
        # The raw text is read, not YAML's reading: unquoted 12:30 is the integer 750 to YAML 1.1.
        if isinstance(node, ScalarNode) and node.tag in (_STR, _INT):
            match = _TIME_RE.fullmatch(node.value.strip())
            if match:
                return dt.time(int(match[1]), int(match[2]))
        self.error(_line(node), path, f"must be a time HH:MM (00:00-23:59), not {_describe(node)}")
        return None

    def texts(self, node: Node | None, path: str, max_len: int) -> Texts | None:
        if node is None:
            return None
        keys = self.mapping(node, path, LANGUAGES)
        if keys is None:
            return None
        values: dict[str, str] = {}
        for lang in LANGUAGES:
            value_node = keys.get(lang)
            here = _join(path, lang)
            value = self.scalar_text(value_node, here)
            if value_node is None or value is None:
                continue
            ok = True
            if len(value) > max_len:
                self.error(_line(value_node), here, f"too long: {len(value)} characters (at most {max_len})")
                ok = False
            for message in _script_problems(lang, value):
                self.error(_line(value_node), here, message)
                ok = False
            if ok:
                values[lang] = value
        if len(values) != len(LANGUAGES):
            return None
        return Texts(**values)

    def choices_list(self, node: Node, path: str, allowed: Sequence[str], what: str) -> tuple[str, ...] | None:
        if not isinstance(node, SequenceNode):
            self.error(_line(node), path, f"must be a list, not {_describe(node)}")
            return None
        if not node.value:
            self.error(_line(node), path, "must list at least one")
            return None
        result: list[str] = []
        ok = True
        for index, child in enumerate(node.value):
            here = f"{path}[{index}]"
            value = self.choice(child, here, allowed, what)
            if value is None:
                ok = False
            elif value in result:
                self.error(_line(child), here, f"{value!r} is listed twice")
                ok = False
            else:
                result.append(value)
        return tuple(result) if ok else None

    # ---- the template

    def template(self, root: Node | None, stem: str, source: Path | None) -> Template | None:
        if root is None:
            self.error(1, "", "file is empty")
            return None
        keys = self.mapping(root, "", _TOP_REQUIRED)
        if keys is None:
            return None
        template_id = self.slug(keys.get("id"), "id")
        if template_id is not None and template_id != stem:
            self.error(_line(keys["id"]), "id", f"{template_id!r} does not match the file name {stem!r}")
            template_id = None
        version = self.positive_int(keys.get("version"), "version")
        title = self.texts(keys.get("title"), "title", TITLE_MAX)
        applies = self.applies_to(keys.get("applies_to"))
        frequency = self.choice(keys.get("frequency"), "frequency", FREQUENCIES, "frequency")
        window = self.window(keys.get("window"))
        area = self.choice(keys.get("area"), "area", AREAS, "area")
        role = self.choice(keys.get("default_assignee_role"), "default_assignee_role", ROLES, "role")
        items = self.items(keys.get("items"))

        parts = (template_id, version, title, applies, frequency, window, area, role, items)
        if self.errors or any(part is None for part in parts):
            return None
        zone_kinds, asset_types = applies
        return Template(
            id=template_id,
            version=version,
            title=title,
            zone_kinds=zone_kinds,
            asset_types=asset_types,
            frequency=frequency,
            opens=window[0],
            due=window[1],
            area=area,
            default_assignee_role=role,
            items=items,
            source=source,
        )

    def applies_to(self, node: Node | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        if node is None:
            return None
        keys = self.mapping(node, "applies_to", (), _APPLIES_KEYS)
        if keys is None:
            return None
        if not keys:
            self.error(_line(node), "applies_to", "needs zone_kinds or asset_types")
            return None
        if len(keys) > 1:
            self.error(_line(node), "applies_to", "give zone_kinds or asset_types, not both")
            return None
        if "zone_kinds" in keys:
            kinds = self.choices_list(keys["zone_kinds"], "applies_to.zone_kinds", ZONE_KINDS, "zone kind")
            return None if kinds is None else (kinds, ())
        types = self.choices_list(keys["asset_types"], "applies_to.asset_types", ASSET_TYPES, "asset type")
        return None if types is None else ((), types)

    def window(self, node: Node | None) -> tuple[dt.time, dt.time] | None:
        if node is None:
            return None
        keys = self.mapping(node, "window", _WINDOW_KEYS)
        if keys is None:
            return None
        opens = self.time(keys.get("opens"), "window.opens")
        due = self.time(keys.get("due"), "window.due")
        if opens is None or due is None:
            return None
        if due <= opens:
            self.error(_line(keys["due"]), "window.due", f"must be later than opens ({opens:%H:%M})")
            return None
        return opens, due

    def items(self, node: Node | None) -> tuple[Item, ...] | None:
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self.error(_line(node), "items", f"must be a list, not {_describe(node)}")
            return None
        if not node.value:
            self.error(_line(node), "items", "must list at least one item")
            return None
        result: list[Item] = []
        first_line: dict[str, int] = {}
        ok = True
        for index, child in enumerate(node.value):
            path = f"items[{index}]"
            keys = self.mapping(child, path, _ITEM_REQUIRED, _ITEM_OPTIONAL)
            if keys is None:
                ok = False
                continue
            item_id = self.slug(keys.get("id"), f"{path}.id")
            if item_id is not None:
                if item_id in first_line:
                    self.error(
                        _line(keys["id"]),
                        f"{path}.id",
                        f"duplicate item id {item_id!r} (first at line {first_line[item_id]})",
                    )
                    item_id = None
                else:
                    first_line[item_id] = _line(keys["id"])
            text = self.texts(keys.get("text"), f"{path}.text", ITEM_TEXT_MAX)
            deficiency = self.texts(keys.get("deficiency"), f"{path}.deficiency", DEFICIENCY_MAX)
            severity = self.choice(keys.get("severity"), f"{path}.severity", SEVERITIES, "severity")
            photo = self.boolean(keys.get("photo_on_fail"), f"{path}.photo_on_fail")
            guidance = self.texts(keys.get("guidance"), f"{path}.guidance", GUIDANCE_MAX)
            if "guidance" in keys and guidance is None:
                ok = False
            area = self.choice(keys.get("area"), f"{path}.area", AREAS, "area")
            document = self.slug(keys.get("document"), f"{path}.document")
            if ("area" in keys and area is None) or ("document" in keys and document is None):
                ok = False
            if item_id is None or text is None or deficiency is None or severity is None or photo is None:
                ok = False
                continue
            result.append(Item(id=item_id, text=text, severity=severity, photo_on_fail=photo, guidance=guidance,
                               area=area, document=document, deficiency=deficiency))
        return tuple(result) if ok else None


def _script_problems(lang: str, text: str) -> list[str]:
    """Cheap checks that a text is in the language it claims to be."""
    problems = []
    has_cyrillic = bool(_CYRILLIC_RE.search(text))
    if lang == "en":
        if has_cyrillic:
            problems.append("English text contains Cyrillic letters")
        return problems
    if not has_cyrillic:
        problems.append("must be written in Cyrillic")
    if lang == "ky" and _KAZAKH_ONLY & set(text):
        problems.append("contains Kazakh letters (ә ғ қ ұ һ і): is this the Kazakh text?")
    if lang == "ru" and _NOT_RUSSIAN & set(text):
        problems.append("contains Kyrgyz/Kazakh letters: is this the Russian text?")
    mixed = [w for w in _WORD_RE.findall(text) if _CYRILLIC_RE.search(w) and _LATIN_RE.search(w)]
    if mixed:
        problems.append(f"mixes Latin and Cyrillic letters in one word: {mixed[0]!r}")
    return problems


# --------------------------------------------------------------------------- command line


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m safetyops.inspections.checklist_files [FILE_OR_DIR ...]``: print every error;
    exit status 1 if there is any."""
    targets = list(sys.argv[1:] if argv is None else argv) or [str(SHIPPED_DIR)]
    valid, errors = 0, []
    for target in targets:
        if Path(target).is_dir():
            templates, found = load_dir(target)
            valid += len(templates)
        else:
            template, found = load_file(target)
            valid += template is not None
        errors.extend(found)
    for error in errors:
        print(error)
    print(f"{valid} template(s) valid, {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
