"""Prices for display, in the shopper's language: Babel's CLDR data, not a symbol table.

CLDR knows each currency's symbol, its number of decimals (JPY has none) and where a
locale puts the symbol and the separators ("12,50 €" in German, "$12.50" in US
English), so the storefront never has to. A price must never break a page: an
unknown locale falls back to the site's language, an unknown currency code (or amount)
to a plain "12.50 XYZ".

Babel separates amount and symbol with a no-break space ("12,50\u00a0€"), so a price
never wraps across two lines.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django.conf import settings
from django.utils.translation import get_language, to_locale

logger = logging.getLogger("storefront_widgets")


def active_locale() -> str:
    """The active Django language as a Babel locale name ("en-us" -> "en_US")."""
    return to_locale(get_language() or settings.LANGUAGE_CODE)


def _babel_locale(name: str) -> Locale | None:
    """`name`, else its language alone, else the site's LANGUAGE_CODE; None if none parse."""
    site = to_locale(settings.LANGUAGE_CODE)
    for candidate in (name, name.split("_", 1)[0], site, site.split("_", 1)[0]):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return None


def _is_known_currency(code: str, locale: Locale) -> bool:
    return len(code) == 3 and code.isalpha() and code in locale.currencies


def plain_price(amount: Decimal | float | int, currency: str) -> str:
    """The fallback: the amount with two decimals, then the code ("12.50 XYZ")."""
    try:
        text = f"{Decimal(str(amount)):.2f}"
    except (InvalidOperation, ValueError):
        text = str(amount)
    return f"{text} {currency}".strip()


def format_price(amount: Decimal | float | int, currency: str, locale: str | None = None) -> str:
    """`amount` in `currency` as the shopper reads it in `locale` (default: the active
    language). Never raises: an unknown locale, currency or amount gives `plain_price`.
    """
    code = (currency or "").strip().upper()
    babel_locale = _babel_locale(locale or active_locale())
    if babel_locale is None or not _is_known_currency(code, babel_locale):
        return plain_price(amount, code)
    try:
        # currency_digits: CLDR's decimals for the currency (none for JPY), whatever
        # the amount's own.
        return format_currency(
            Decimal(str(amount)), code, locale=babel_locale, currency_digits=True
        )
    except (InvalidOperation, ValueError, TypeError, ArithmeticError):
        logger.warning("Price %r %s could not be formatted; showing it plainly.", amount, code)
        return plain_price(amount, code)
