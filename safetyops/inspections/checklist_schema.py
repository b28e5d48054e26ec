"""What a checklist template is: the vocabularies a file may use (languages, zone kinds, asset types,
frequencies, areas, roles, severities), the longest texts, the validated shapes (`Template`, `Item`,
`Texts`) and the `Error` a check reports.  Pure Python: no Flask, no database, no YAML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

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
