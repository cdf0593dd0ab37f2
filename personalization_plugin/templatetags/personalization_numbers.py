"""Numbers as people read them, in the active language: `{% load personalization_numbers %}`.

`{{ n|count }}` groups an integer ("12,345", German "12.345"); `{{ x|sig3 }}` keeps three
significant digits ("0.305"); `{{ x|seconds }}` rounds a duration for a sentence. Anything
that is not a number passes through unchanged, so a missing figure shows as itself
rather than breaking the page.
"""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) else None


@register.filter
def count(value: Any) -> Any:
    """A count with the language's digit grouping."""
    found = _number(value)
    if found is None:
        return value
    return number_format(int(round(found)), 0, force_grouping=True)


@register.filter
def sig3(value: Any) -> Any:
    """Three significant digits, localised; integers above 999 are grouped, not rounded."""
    found = _number(value)
    if found is None:
        return value
    if found == 0:
        return number_format(0, 0)
    if abs(found) >= 1000:
        return count(found)
    decimals = max(0, 2 - math.floor(math.log10(abs(found))))
    return number_format(round(found, decimals), decimals, force_grouping=True)


@register.filter
def seconds(value: Any) -> Any:
    """A duration in seconds for a sentence: one decimal below 10 s, whole seconds above."""
    found = _number(value)
    if found is None:
        return value
    return number_format(round(found, 1), 1) if found < 10 else count(found)
