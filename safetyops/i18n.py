"""Languages and time zones for Flask-Babel."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user

from .config import LANGUAGES

#: Each language named in itself, for the switcher.
LANGUAGE_NAMES = {"ky": "Кыргызча", "ru": "Русский", "kk": "Қазақша", "en": "English"}


def select_locale() -> str:
    if not has_request_context():
        return getattr(g, "locale", None) or current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    school = getattr(g, "school", None)
    if school is not None:
        return school.default_locale
    best = request.accept_languages.best_match(LANGUAGES)
    return best or current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    school = getattr(g, "school", None)
    return school.timezone if school is not None else current_app.config["DEFAULT_TIMEZONE"]


def format_day(day) -> str:
    """"Sunday, 22 November" in the person's language: the locale's full date without the year."""
    import re

    from babel.dates import format_date, get_date_format
    from flask_babel import get_locale

    if not day:
        return ""
    locale = get_locale() or "ky"
    pattern = get_date_format("full", locale=locale).pattern
    pattern = re.sub(r"[,\s]*y+(?:[-\s]*'[^']*'\.?)?[,\s]*", " ", pattern).strip(" ,")
    return format_date(day, pattern, locale=locale)
