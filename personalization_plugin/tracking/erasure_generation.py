"""The erasure generation: one value every process can read, moved by each erasure.

Per-process caches of per-shopper data (`core.ttl_cache.ErasureAwareTTLCache`: history,
cached lists, segment profiles, the intake's "not erased" verdicts, muted categories,
purchases) compare it on every read, so an erasure in one process is honoured by every
other process at once, not when their entries expire.

With Redis it is a counter (`<prefix>:erasure_generation`, INCR at the end of each
erasure, one GET per read). Without Redis, or while Redis is marked down, it is the
erasure ledger's row count and newest `erased_at` (one query on an indexed column);
erasure touches its ledger rows again once everything is deleted, so that value moves
after the data is gone. The value names its source, so switching between the two only
empties the caches once more.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.db.models import Count, Max
from django.utils import timezone

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.redis import REDIS_ERRORS, get_redis, is_down, key, mark_down

NAME = "erasure_generation"


def current() -> str:
    """The generation now (cheap; never raises: an unreadable source reads as "?",
    which empties the caches rather than trusting them)."""
    url = plugin_settings.REDIS_URL
    if url and not is_down(url):
        try:
            value = get_redis(url).get(key(NAME))
        except REDIS_ERRORS as exc:
            mark_down(exc, url)
        else:
            text = value.decode() if isinstance(value, bytes) else str(value or "0")
            return "r" + text
    return _from_database()


def _from_database() -> str:
    from personalization_plugin.models import ErasedShopper

    try:
        row = ErasedShopper.objects.aggregate(n=Count("id"), last=Max("erased_at"))
    except DatabaseError:
        return f"?{timezone.now().timestamp()}"
    last = row["last"].timestamp() if row["last"] else 0.0
    return f"d{row['n']}:{last}"


def advance(digests: list[str]) -> None:
    """Move the generation after an erasure has deleted everything (the ledger rows of
    `digests` get a fresh `erased_at`; the Redis counter, when configured, goes up).
    Raises REDIS_ERRORS when Redis is configured and unreachable."""
    from personalization_plugin.models import ErasedShopper

    ErasedShopper.objects.filter(digest__in=digests).update(erased_at=timezone.now())
    if plugin_settings.REDIS_URL:
        get_redis(plugin_settings.REDIS_URL).incr(key(NAME))
