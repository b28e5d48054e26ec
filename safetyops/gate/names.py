"""Names compared across Cyrillic and Latin spellings.

`unidecode` transliterates any script to ASCII (Жумабаев → Zhumabaev); the folding below then
merges the usual variants of Latin spellings of Russian, Kyrgyz and Kazakh names
(Zh/J/Dzh, Kh/H, Yu/Iu/U, Ya/Ia/A, Yo/Io/Ё/Е, Ts/C, doubled letters), so "Жумабаев", "Jumabaev" and
"Dzhumabaev" give the same key.  Keys are only ever compared with keys.
"""

from __future__ import annotations

import re

from unidecode import unidecode

#: Kazakh and Kyrgyz letters unidecode renders with apostrophes or symbols: their Russian neighbours first.
_PRE = str.maketrans({"ә": "а", "Ә": "А", "қ": "к", "Қ": "К", "ғ": "г", "Ғ": "Г", "ң": "н", "Ң": "Н",
                      "ө": "о", "Ө": "О", "ү": "у", "Ү": "У", "ұ": "у", "Ұ": "У", "һ": "х", "Һ": "Х",
                      "і": "и", "І": "И", "ё": "е", "Ё": "Е"})
_FOLDS = [("shch", "sh"), ("sch", "sh"), ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "h"), ("tch", "ch"),
          ("ts", "c"), ("tz", "c"), ("ck", "k"), ("ph", "f"), ("x", "ks"), ("w", "v"), ("q", "k"), ("y", "i")]
_IOTATED = [("ia", "a"), ("iu", "u"), ("io", "e"), ("ie", "e")]
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_REPEAT = re.compile(r"(.)\1+")


def fold_token(token: str) -> str:
    for a, b in _FOLDS:
        token = token.replace(a, b)
    token = _REPEAT.sub(r"\1", token)
    for a, b in _IOTATED:
        token = token.replace(a, b)
    return _REPEAT.sub(r"\1", token)


def tokens(name: str) -> list[str]:
    ascii_name = unidecode((name or "").translate(_PRE)).lower()
    ascii_name = _NOT_WORD.sub(" ", ascii_name.replace("'", ""))
    return [t for t in (fold_token(w) for w in ascii_name.split()) if t]


def name_key(name: str) -> str:
    """The folded form stored beside a name (space-separated tokens, in the order written)."""
    return " ".join(tokens(name))[:200]


def names_match(key_a: str, key_b: str, doc_a: str | None = None, doc_b: str | None = None) -> bool:
    """Two folded names are the same person: every word of the shorter name is in the longer
    (in any order), or one word in common and the same document ending."""
    a, b = set(key_a.split()), set(key_b.split())
    common = a & b
    if not common:
        return False
    if len(common) >= min(2, len(a), len(b)):
        return True
    return bool(doc_a and doc_b and doc_a.upper() == doc_b.upper())
