"""Precomputed personal top-N lists, cached per model version and shopper.

A model's `for_subject` scores the whole catalog (1-2 ms over 100k items), so its
answer is kept for RECOMMENDATION_TTL seconds: in Redis when REDIS_URL is set (shared
by every web process), in an in-process LRU otherwise. The key holds a digest of the
shopper's newest recent items, so a new view, cart add or purchase (which the
real-time store records synchronously) selects a fresh key on the very next request:
no stale list survives a new event. An eraser registered with the privacy module
deletes a shopper's cached lists on request, and raises when Redis cannot be reached.

Redis goes through `core.redis`, the one client and circuit breaker the plugin has: if
it cannot be reached the outage is logged once and the local LRU is used until the
breaker retries; serving never raises because of the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import ErasureIncomplete
from personalization_plugin.core.redis import REDIS_ERRORS, available, get_redis, mark_down
from personalization_plugin.core.ttl_cache import ErasureAwareTTLCache, TTLCache
from personalization_plugin.serving import realtime
from personalization_plugin.serving.realtime import RECENT_ITEMS
from personalization_plugin.tracking import erasure_generation

logger = logging.getLogger("personalization_plugin.serving")

LOCAL_SIZE = 10_000
MIN_CACHED = 50  # cache at least this many so most limits and exclusions are covered
Scored = list[tuple[str, float]]

_local: TTLCache[tuple[str, str, str], tuple[int, Scored]] = ErasureAwareTTLCache(
    LOCAL_SIZE, 3600.0, erasure_generation.current
)


def _digest(recent: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(recent).encode(), digest_size=8).hexdigest()


def subject_key(subject: str) -> str:
    """The prefix of every cached list (and rendered fragment, `serving.fragments`) of a
    shopper. Hashed: exact per-subject matching in SCAN patterns, and no shopper ids in
    key names."""
    return f"{plugin_settings.KEY_PREFIX}:rec:{subject_keys.digest(subject, purpose='cache')}"


_subject_key = subject_key  # the earlier private name, for callers on other branches


def _key(version: str, subject: str, marker: str) -> str:
    return f"{subject_key(subject)}:{version}:{marker}"


def _marker(recent: Sequence[str]) -> str:
    """The part of the key that changes with the shopper's newest recent items."""
    return _digest(recent[:10])


def recent_for(subject: str, n: int) -> list[str]:
    """The shopper's recent items as serving reads them (newest first; [] on an outage).

    The one place the real-time lookup behind a cache key is made: `recommend()` and
    `precompute()` both call it, so precomputed lists land on the key serving reads."""
    return realtime.recent_items(subject, n)


def personal_top(
    version: str,
    subject: str,
    recent: Sequence[str],
    n: int,
    compute: Callable[[int], Scored],
) -> Scored:
    """The model's top-n for a subject, from cache when fresh, else `compute(size)`."""
    marker = _marker(recent)
    size = max(n, MIN_CACHED)
    hit = _read(version, subject, marker)
    if hit is not None:
        stored_size, scored = hit
        if stored_size >= n or len(scored) < stored_size:  # a short list is the whole answer
            return scored
    scored = compute(size)
    _write(version, subject, marker, size, scored)
    return scored


def _read(version: str, subject: str, marker: str) -> tuple[int, Scored] | None:
    client = available()
    if client is not None:
        try:
            raw = client.get(_key(version, subject, marker))
        except REDIS_ERRORS as exc:
            mark_down(exc)
        else:
            if raw is None:
                return None
            try:
                size, pairs = json.loads(raw)
                return int(size), [(str(p), float(s)) for p, s in pairs]
            except (ValueError, TypeError):  # a corrupt entry is a miss, recomputed and rewritten
                logger.warning("Ignoring a malformed cached recommendation list.")
                return None
    return _local.get((version, subject, marker))


def _write(version: str, subject: str, marker: str, size: int, scored: Scored) -> None:
    client = available()
    if client is not None:
        payload = json.dumps([size, scored], separators=(",", ":"))
        try:
            client.set(
                _key(version, subject, marker), payload, ex=plugin_settings.RECOMMENDATION_TTL
            )
            return
        except REDIS_ERRORS as exc:
            mark_down(exc)
    _local.ttl = float(plugin_settings.RECOMMENDATION_TTL)
    _local.set((version, subject, marker), (size, scored))


def precompute(model: Any, subjects: Iterable[str], *, n: int = 0, batch: int = 256) -> int:
    """Compute and cache the personal lists of these subjects, so a known shopper's first
    `for_you` request is a cache hit; returns how many lists were written.

    Each list is what serving would compute on a miss: `for_subject(subject,
    recent_items, n=size)` with the shopper's current recent items, written under the
    same key (model version, subject, recent-items digest) by the same code. Scoring is
    batched through the model's `for_subjects`. Subjects the model does not know, or
    who opted out (a "denied" privacy choice), are skipped; with ENABLED off nothing is
    written. `n` raises the cached length above MIN_CACHED."""
    if model is None or not plugin_settings.ENABLED:
        return 0

    size = max(n, MIN_CACHED)
    wanted = list(dict.fromkeys(s for s in subjects if model.knows_subject(s)))
    denied = _opted_out(wanted)  # once: inside the comprehension it re-ran per subject
    wanted = [s for s in wanted if s not in denied]
    written = 0
    for lo in range(0, len(wanted), batch):
        chunk = wanted[lo : lo + batch]
        recent = {s: recent_for(s, RECENT_ITEMS) for s in chunk}
        lists = model.for_subjects(chunk, n=size, batch=batch, recent=recent)
        for subject, scored in lists.items():
            _write(model.version, subject, _marker(recent[subject]), size, scored)
            written += 1
    return written


def precompute_active(days: int | None = None, n: int = 0) -> int:
    """Precompute the active model's lists for every subject active in the last `days`
    days (default PRECOMPUTE_DAYS); returns how many lists were written."""
    from personalization_plugin.engine.registry import get_active_model

    days = plugin_settings.PRECOMPUTE_DAYS if days is None else days
    if days <= 0:
        return 0
    return precompute(get_active_model(), active_subjects(days), n=n)


def precompute_after_training() -> int:
    """`precompute_active()` for the training command and task: a failure is logged and
    never fails the training that just succeeded (the lists are only a head start)."""
    try:
        return precompute_active()
    except Exception:
        logger.exception(
            "Precomputing personal lists after training failed; serving computes them on demand."
        )
        return 0


def _opted_out(subjects: Sequence[str]) -> set[str]:
    from personalization_plugin.models import PrivacyChoice

    denied: set[str] = set()
    for lo in range(0, len(subjects), 500):
        denied.update(
            PrivacyChoice.objects.filter(
                subject__in=subjects[lo : lo + 500], consent=PrivacyChoice.Consent.DENIED
            ).values_list("subject", flat=True)
        )
    return denied


def active_subjects(days: int) -> list[str]:
    """Subjects ("c:.." / "v:..") with a stored event in the last `days` days, as
    training names them (the customer id when there is one)."""
    from datetime import timedelta

    from django.utils import timezone

    from personalization_plugin.models import Event

    since = timezone.now() - timedelta(days=days)
    pairs = (
        Event.objects.filter(occurred_at__gte=since)
        .values_list("visitor_id", "customer_id")
        .distinct()
    )
    return list(dict.fromkeys(subject_keys.of(c, v) for v, c in pairs.iterator()))


def erase_subjects(subjects: set[str]) -> int:
    """Delete every cached list for these subjects ("v:.." / "c:.."); returns how many.

    Unlike serving, erasure never settles for the local copy: with REDIS_URL set, Redis
    is asked even while the breaker is open, and when it cannot be reached this raises
    ErasureIncomplete (the lists are still there) instead of reporting a local count."""
    removed = _local.delete_where(lambda key: key[1] in subjects)
    if not plugin_settings.REDIS_URL:
        return removed
    client = get_redis()
    try:
        for subject in sorted(subjects):
            keys = list(client.scan_iter(f"{subject_key(subject)}:*", count=500))
            if keys:
                removed += int(client.delete(*keys))
    except REDIS_ERRORS as exc:
        mark_down(exc)
        raise ErasureIncomplete(
            f"Redis is unreachable ({type(exc).__name__}), so cached recommendation lists "
            "could not be deleted; run the erasure again when Redis answers."
        ) from None
    return removed


def clear() -> None:
    """Forget in-process state (tests; settings changes). The Redis client and breaker
    belong to `core.redis` and are reset with the rest of the tracking state."""
    _local.clear()
