"""A shopper's own preferences from the privacy center: muted categories and messages.

"Show me less of this category" stores the category id; serving leaves its products out
of that shopper's lists (through `core.registry.register_category_mutes`, so serving
never imports privacy). Per-message switches store trigger kinds the shopper does not
want; the trigger scan skips them. Both are kept per subject ("v:…" or "c:…") in
`ShopperPreference`, read for all of a shopper's subjects, and deleted by erasure.

Reads are cached per process for PREFERENCE_CACHE_SECONDS so that serving pays no query
per list; a change made in this process is seen at once, in others within that time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from personalization_plugin.core.events import MAX_ID_LENGTH
from personalization_plugin.core.exceptions import PersonalizationError
from personalization_plugin.core.ttl_cache import ErasureAwareTTLCache, TTLCache
from personalization_plugin.tracking import erasure_generation

PREFERENCE_CACHE_SECONDS = 10.0
MAX_MUTED = 50


@dataclass(frozen=True)
class MessageKind:
    """An outgoing message a shopper may switch off (one per trigger kind)."""

    kind: str
    label: StrOrPromise
    help: StrOrPromise


# The trigger kinds of `triggers.scan.KINDS`, in words a shopper understands (privacy
# sits below triggers, so the list is repeated here; a test keeps the two in step).
MESSAGE_KINDS: tuple[MessageKind, ...] = (
    MessageKind(
        "abandoned_cart",
        _("Reminders about my cart"),
        _("A message when I leave products in my cart."),
    ),
    MessageKind(
        "browse_abandonment",
        _("Products I looked at"),
        _("A message about a product I viewed several times without buying."),
    ),
    MessageKind(
        "win_back",
        _("We miss you"),
        _("A message with suggestions when I have not ordered for a while."),
    ),
)
MESSAGE_NAMES = tuple(m.kind for m in MESSAGE_KINDS)


class InvalidPreference(PersonalizationError, ValueError):
    """A preference change that cannot be stored (unknown message kind, bad category id)."""


@dataclass(frozen=True)
class Preferences:
    """The union of a shopper's preferences across their subjects."""

    muted_categories: frozenset[str] = frozenset()
    muted_messages: frozenset[str] = frozenset()

    def wants_message(self, kind: str) -> bool:
        return kind not in self.muted_messages


_cache: TTLCache[frozenset[str], Preferences] = ErasureAwareTTLCache(
    10_000, PREFERENCE_CACHE_SECONDS, erasure_generation.current
)


def forget_cached() -> None:
    """Drop cached preferences (tests; after erasure)."""
    _cache.clear()


def preferences_for(subjects: Iterable[str]) -> Preferences:
    """A shopper's preferences, from every subject key they may have (cached)."""
    from personalization_plugin.models import ShopperPreference

    key = frozenset(subjects)
    if not key:
        return Preferences()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    categories: set[str] = set()
    messages: set[str] = set()
    for row in ShopperPreference.objects.filter(subject__in=list(key)):
        categories.update(str(c) for c in row.muted_categories or ())
        messages.update(str(m) for m in row.muted_messages or ())
    found = Preferences(frozenset(categories), frozenset(messages))
    _cache.set(key, found)
    return found


def _clean_category(category_id: Any) -> str:
    value = str(category_id or "").strip()
    if not value or len(value) > MAX_ID_LENGTH:
        raise InvalidPreference(
            f"Send a category id of 1 to {MAX_ID_LENGTH} characters; got {str(category_id)[:20]!r}."
        )
    return value


def _clean_kind(kind: Any) -> str:
    if kind not in MESSAGE_NAMES:
        raise InvalidPreference(
            f"Unknown message kind {str(kind)[:30]!r}; use one of: {', '.join(MESSAGE_NAMES)}."
        )
    return str(kind)


def _update(subjects: set[str], own: str, field: str, value: str, add: bool) -> Preferences:
    """Add or remove `value` in `field`: added under the shopper's current subject, removed
    from every subject they have (a category muted before signing in is unmuted too)."""
    from personalization_plugin.models import ShopperPreference

    with transaction.atomic():
        rows = {
            row.subject: row
            for row in ShopperPreference.objects.select_for_update().filter(
                subject__in=list(subjects)
            )
        }
        if add:
            row = rows.get(own) or ShopperPreference(subject=own)
            values = list(getattr(row, field) or [])
            if value not in values:
                if len(values) >= MAX_MUTED:
                    raise InvalidPreference(
                        f"At most {MAX_MUTED} entries can be stored; remove one first."
                    )
                values.append(value)
            setattr(row, field, values)
            row.save()
        else:
            for row in rows.values():
                values = [v for v in getattr(row, field) or [] if v != value]
                if values != list(getattr(row, field) or []):
                    setattr(row, field, values)
                    row.save(update_fields=[field, "updated_at"])
    forget_cached()
    return preferences_for(subjects)


def set_category_muted(visitor: Any, category_id: Any, muted: bool) -> Preferences:
    """Mute (or unmute) a category for this shopper. Raises InvalidPreference."""
    value = _clean_category(category_id)
    return _update(set(visitor.subjects), visitor.subject, "muted_categories", value, muted)


def set_message_enabled(visitor: Any, kind: Any, enabled: bool) -> Preferences:
    """Switch one trigger kind on or off for this shopper. Raises InvalidPreference."""
    value = _clean_kind(kind)
    return _update(set(visitor.subjects), visitor.subject, "muted_messages", value, not enabled)


def message_allowed(customer_id: str, kind: str) -> bool:
    """Whether a customer still wants messages of this kind (the trigger scan asks)."""
    from personalization_plugin.core import subjects as subject_keys

    return preferences_for({subject_keys.customer(customer_id)}).wants_message(kind)


def muted_for_visitor(visitor: Any) -> set[str]:
    """Category ids serving leaves out for this visitor (registered with core.registry)."""
    if visitor is None:
        return set()
    return set(preferences_for(visitor.subjects).muted_categories)


def erase_preferences(subjects: set[str]) -> int:
    """Eraser: delete the preference rows of these subjects."""
    from personalization_plugin.models import ShopperPreference

    deleted = ShopperPreference.objects.filter(subject__in=list(subjects)).delete()[0]
    forget_cached()
    return int(deleted)
