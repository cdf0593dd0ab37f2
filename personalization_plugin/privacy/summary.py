"""What is stored about a shopper, in words: the export (`export.export_subject`) told as
a few sentences a shopper can read, in the request's language.

The privacy center shows these next to the download link, so that nobody has to open a
JSON file to learn what the store keeps.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext, ngettext

# Event types as a shopper would say them; unknown types are counted as "other actions".
_ACTIONS = {
    "view": lambda n: ngettext("%(n)d product viewed", "%(n)d products viewed", n),
    "category_view": lambda n: ngettext("%(n)d category visit", "%(n)d category visits", n),
    "search": lambda n: ngettext("%(n)d search", "%(n)d searches", n),
    "cart_add": lambda n: ngettext("%(n)d product added to the cart", "%(n)d cart additions", n),
    "cart_remove": lambda n: ngettext(
        "%(n)d product removed from the cart", "%(n)d cart removals", n
    ),
    "purchase": lambda n: ngettext("%(n)d product bought", "%(n)d products bought", n),
    "impression": lambda n: ngettext(
        "%(n)d suggestion shown to you", "%(n)d suggestions shown to you", n
    ),
    "click": lambda n: ngettext("%(n)d suggestion clicked", "%(n)d suggestions clicked", n),
}


def _date(value: str) -> str:
    return str(formats.date_format(datetime.fromisoformat(value), "DATE_FORMAT"))


def describe(export: dict[str, Any]) -> list[str]:
    """Sentences for an export document (the dict `export_subject` returns)."""
    events = export.get("events") or []
    if not events:
        lines = [gettext("We have no record of what you did in this store.")]
    else:
        counts = Counter(str(e.get("type")) for e in events)
        parts = [_ACTIONS[t](n) % {"n": n} for t, n in counts.items() if t in _ACTIONS]
        other = sum(n for t, n in counts.items() if t not in _ACTIONS)
        if other:
            parts.append(
                ngettext("%(n)d other action", "%(n)d other actions", other) % {"n": other}
            )
        lines = [
            ngettext(
                "We keep %(n)d record of what you did here, from %(first)s to %(last)s:",
                "We keep %(n)d records of what you did here, from %(first)s to %(last)s:",
                len(events),
            )
            % {
                "n": len(events),
                "first": _date(events[0]["occurred_at"]),
                "last": _date(events[-1]["occurred_at"]),
            },
            ", ".join(sorted(parts)) + ".",
        ]
    viewed = {
        p
        for state in (export.get("realtime") or {}).values()
        for p in state.get("recently_viewed") or ()
    }
    if viewed:
        lines.append(
            ngettext(
                "Your recently viewed list holds %(n)d product.",
                "Your recently viewed list holds %(n)d products.",
                len(viewed),
            )
            % {"n": len(viewed)}
        )
    for choice in export.get("consent") or ():
        lines.append(
            gettext("Your choice about personalization is stored: %(choice)s.")
            % {"choice": gettext("yes") if choice.get("consent") == "granted" else gettext("no")}
        )
        break
    prefs = export.get("preferences") or ()
    muted = {c for p in prefs for c in p.get("muted_categories") or ()}
    messages = {m for p in prefs for m in p.get("muted_messages") or ()}
    if muted or messages:
        lines.append(
            gettext(
                "Your privacy settings are stored: %(categories)d muted categories, "
                "%(messages)d messages switched off."
            )
            % {"categories": len(muted), "messages": len(messages)}
        )
    return lines
