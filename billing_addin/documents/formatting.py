"""Money and dates as a reader of the book's locale expects them (babel), for letters and e-mails."""

from __future__ import annotations

import datetime as dt
import functools

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency

from billing_addin.core.money import cents_to_decimal

DEFAULT_LOCALE = "en_US"


@functools.lru_cache(maxsize=32)
def locale_for(name: object) -> Locale:
    """The babel Locale for a Settings value such as "en_US", "de-DE" or "fr"; en_US when it is unknown
    (the Locale setting is checked by validation, so a letter never fails over it)."""
    text = str(name or DEFAULT_LOCALE).strip().replace("-", "_")
    try:
        return Locale.parse(text)
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


def money(cents: int, currency: str, locale: Locale) -> str:
    """1234567 cents in USD, en_US -> "$12,345.67"; in EUR, de_DE -> "12.345,67 €"."""
    return format_currency(cents_to_decimal(cents), currency, locale=locale)


def date(day: dt.date | None, locale: Locale) -> str:
    """A date as words: "November 27, 2026" (en_US), "27. November 2026" (de_DE); "" for no date."""
    return format_date(day, format="long", locale=locale) if day else ""


def short_date(day: dt.date | None, locale: Locale) -> str:
    """A date for table cells: "Nov 27, 2026" (en_US), "27.11.2026" (de_DE); "" for no date."""
    return format_date(day, format="medium", locale=locale) if day else ""
