"""The validator of checklist template files: walks the YAML *nodes* (``yaml.compose``) so that every error
names the line it comes from, and goes on after an error so that an author sees every problem of a file
at once (`Checker`); and the cheap checks that a text is in the language it claims to be.  Used by
`checklist_files.load_text`."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .checklist_schema import (
    AREAS,
    ASSET_TYPES,
    DEFICIENCY_MAX,
    FREQUENCIES,
    GUIDANCE_MAX,
    ITEM_TEXT_MAX,
    LANGUAGES,
    ROLES,
    SEVERITIES,
    SLUG_MAX,
    TITLE_MAX,
    ZONE_KINDS,
    Error,
    Item,
    Template,
    Texts,
)

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


class Checker:
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
