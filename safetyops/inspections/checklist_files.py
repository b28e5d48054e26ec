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

The vocabularies, limits and shapes are in `checklist_schema`, the validator in `checklist_checker`;
their names are importable from here too (`checklist_files.LANGUAGES`, `.Template`, ...).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from .checklist_checker import Checker
from .checklist_schema import (  # noqa: F401 - the limits are re-exported: this module's names before the split
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

#: A checklist file is small; anything bigger is a mistake.
MAX_FILE_BYTES = 256 * 1024

SUFFIXES = (".yaml", ".yml")


def shipped_dir() -> Path:
    """The folder of shipped templates: `safetyops/checklists` in an installed package,
    else the top-level `checklists/` of a source checkout."""
    here = Path(__file__).resolve()
    inside = here.parents[1] / "checklists"
    if inside.is_dir():
        return inside
    return here.parents[2] / "checklists"


SHIPPED_DIR = shipped_dir()


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
    checker = Checker(name)
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
