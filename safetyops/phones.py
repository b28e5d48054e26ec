"""Phone numbers: parsed and stored as E.164 with `phonenumbers`."""

from __future__ import annotations

import phonenumbers


def normalize_phone(raw: str, region: str = "KG") -> str | None:
    """E.164 for a valid number (local or international form), else None."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


#: Countries whose local number forms are understood where no school is known (sign-in).
SIGN_IN_REGIONS = ("KG", "KZ")


def normalize_phone_any(raw: str, regions=SIGN_IN_REGIONS) -> str | None:
    """E.164 for the first region in which `raw` is a valid number, else None."""
    for region in regions:
        phone = normalize_phone(raw, region)
        if phone:
            return phone
    return None


def is_mobile(e164: str) -> bool:
    num = phonenumbers.parse(e164)
    return phonenumbers.number_type(num) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def pretty(e164: str | None) -> str:
    if not e164:
        return ""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
