"""Latin letters for non-urgent SMS (a school's choice): a Cyrillic text is UCS-2, 70 characters per SMS;
in GSM-7 Latin it is 160.

`unidecode` does Russian (ж zh, щ shch, ы y…). Kyrgyz and Kazakh letters it renders badly (ң → n',
ә → @, қ → k'), so they are mapped first, to letters a Kyrgyz or Kazakh reader knows from the Latin
alphabets of their languages and that GSM 03.38 has: ө ö, ү ü, ә ä (GSM has ä ö ü), ң ng, ғ gh, қ q,
ұ u, һ h, і i. The soft and hard signs are dropped. Whatever would still force UCS-2 is replaced, so
the result is always GSM-7."""

from __future__ import annotations

from unidecode import unidecode

from .segments import GSM7_BASIC, GSM7_EXTENSION, is_gsm7

__all__ = ["sms_body", "to_latin"]

_LETTERS = {
    "ө": "ö",
    "Ө": "Ö",
    "ү": "ü",
    "Ү": "Ü",
    "ә": "ä",
    "Ә": "Ä",
    "ң": "ng",
    "Ң": "Ng",
    "ғ": "gh",
    "Ғ": "Gh",
    "қ": "q",
    "Қ": "Q",
    "ұ": "u",
    "Ұ": "U",
    "һ": "h",
    "Һ": "H",
    "і": "i",
    "І": "I",
    "ь": "",
    "Ь": "",
    "ъ": "",
    "Ъ": "",
    "№": "No",
    "«": '"',
    "»": '"',
    "—": "-",
    "–": "-",
    "…": "...",
}
_TABLE = str.maketrans(_LETTERS)


def _gsm(ch: str) -> str:
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    out = unidecode(ch)
    return "".join(c for c in out if c in GSM7_BASIC)  # an emoji: nothing


def to_latin(text: str) -> str:
    """`text` in Latin letters, GSM-7 only (a text that already is GSM-7 is returned as it is)."""
    if is_gsm7(text):
        return text
    return "".join(_gsm(ch) for ch in text.translate(_TABLE))


def sms_body(body: str, is_latin: bool) -> str:
    """The text an SMS of a message carries: in Latin letters when the message's SMS go so
    (`OutboundMessage.is_latin`). Telegram rows never go through this: Telegram costs nothing per part
    and keeps the text as written; their SMS fallback does."""
    return to_latin(body) if is_latin else body
