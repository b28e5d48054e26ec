"""SMS length and segment counting (GSM 03.38 / UCS-2), pure Python.

Any character outside the GSM 03.38 default alphabet (basic set plus the
extension table) turns the whole message into UCS-2: 70 units in a single SMS,
67 per part once it is split (the rest of each part holds the UDH header).
GSM-7 gives 160 septets, 153 per part; extension-table characters (``€ { } [ ] ~ \\ | ^``
and form feed) are sent as ESC + char, so they cost two septets. UCS-2 counts
UTF-16 code units, so characters outside the BMP (most emoji) cost two.

Parts are packed greedily and an escape pair or a surrogate pair is never split
across two parts, as real encoders do; that is why ``segments`` can be higher
than ``ceil(units / per_segment)`` for some texts.

Kyrgyz and Kazakh letters (ө ү ң ә ғ қ ұ һ і) and all Cyrillic are outside GSM-7:
keep alerts under 70 characters to stay in one SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "SegmentInfo",
    "count",
    "is_gsm7",
    "non_gsm7_chars",
]

#: GSM 03.38 default alphabet (the 128 positions, ESC 0x1B excluded).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

#: GSM 03.38 extension table: each costs two septets (ESC + char).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How a text is sent as SMS."""

    #: "GSM-7" or "UCS-2"
    encoding: Encoding
    #: septets (GSM-7) or UTF-16 code units (UCS-2) the whole text needs
    units: int
    #: number of SMS parts (0 for an empty text)
    segments: int
    #: capacity of each part: 160/70 when it fits in one SMS, else 153/67
    per_segment: int

    @property
    def single_limit(self) -> int:
        """Units that fit in one SMS with this encoding (160 or 70)."""
        return GSM7_SINGLE if self.encoding == "GSM-7" else UCS2_SINGLE

    @property
    def is_single(self) -> bool:
        return self.segments <= 1


def _gsm7_cost(ch: str) -> int | None:
    if ch in GSM7_BASIC:
        return 1
    if ch in GSM7_EXTENSION:
        return 2
    return None


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic set or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def non_gsm7_chars(text: str) -> list[str]:
    """The distinct characters (in order of appearance) that force UCS-2."""
    seen: dict[str, None] = {}
    for ch in text:
        if _gsm7_cost(ch) is None:
            seen.setdefault(ch, None)
    return list(seen)


def _ucs2_cost(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _pack(costs: list[int], capacity: int) -> int:
    """Parts needed when costs are packed greedily without splitting an item."""
    parts, used = 1, 0
    for c in costs:
        if used + c > capacity:
            parts += 1
            used = 0
        used += c
    return parts


def count(text: str) -> SegmentInfo:
    """Encoding, units and number of SMS parts for ``text``."""
    if is_gsm7(text):
        encoding: Encoding = "GSM-7"
        costs = [_gsm7_cost(ch) or 0 for ch in text]
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        encoding = "UCS-2"
        costs = [_ucs2_cost(ch) for ch in text]
        single, multi = UCS2_SINGLE, UCS2_MULTI
    units = sum(costs)
    if units == 0:
        return SegmentInfo(encoding, 0, 0, single)
    if units <= single:
        return SegmentInfo(encoding, units, 1, single)
    return SegmentInfo(encoding, units, _pack(costs, multi), multi)
