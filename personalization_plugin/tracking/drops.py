"""Counts of the events the intake drops on purpose, so the owner sees what is not stored.

Dropped events (crawlers, replays of an erased visitor's cookie) are stored nowhere, not
even in part; only how many, per day and reason. Web processes count in one Redis hash
when REDIS_URL is set (all processes share it) or in memory otherwise, and every flush
folds the counts into `DroppedEventCount`, where the dashboard and
`personalization_flush` read them.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import date
from typing import Any

import redis
from django.db.models import F, Sum
from django.utils import timezone

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.redis import REDIS_ERRORS, get_redis, is_down, key, mark_down

BOT = "bot"
ERASED = "erased"

_lock = threading.Lock()
_local: Counter[tuple[str, str]] = Counter()


def _today() -> str:
    return timezone.localdate().isoformat()


def count(reason: str, amount: int = 1) -> None:
    """Count `amount` events dropped for `reason` today. Never raises for Redis trouble."""
    day = _today()
    url = plugin_settings.REDIS_URL
    if url and not is_down(url):
        try:
            get_redis(url).hincrby(key("drops"), f"{day}|{reason}", amount)
            return
        except REDIS_ERRORS as exc:
            mark_down(exc, url)
    with _lock:
        _local[(day, reason)] += amount


def pending() -> bool:
    """Whether this process holds counts not yet folded into the database."""
    with _lock:
        return bool(_local)


def fold() -> int:
    """Move every count (this process's, and the shared Redis hash) into the database.

    Returns how many dropped events were folded. Counts taken out of Redis or memory are
    put back if the database write fails, so none is lost.
    """
    with _lock:
        taken = Counter(_local)
        _local.clear()
    taken.update(_take_from_redis())
    if not taken:
        return 0
    try:
        _add_to_database(taken)
    except Exception:
        with _lock:
            _local.update(taken)
        raise
    return sum(taken.values())


def _take_from_redis() -> Counter[tuple[str, str]]:
    url = plugin_settings.REDIS_URL
    taken: Counter[tuple[str, str]] = Counter()
    if not url or is_down(url):
        return taken
    client = get_redis(url)
    # RENAME is atomic: increments after it start a new hash, none is counted twice.
    folding = key("drops", "folding", uuid.uuid4().hex)
    try:
        if not client.exists(key("drops")):
            return taken
        client.rename(key("drops"), folding)
        values = client.hgetall(folding)
        client.delete(folding)
    except redis.ResponseError:  # another flusher renamed it first: it folds those
        return taken
    except REDIS_ERRORS as exc:
        mark_down(exc, url)
        return taken
    for day, reason, amount in _entries(values):
        taken[(day, reason)] += amount
    return taken


def _entries(values: Any) -> list[tuple[str, str, int]]:
    """(day, reason, count) of the Redis hash's "<day>|<reason>" fields."""
    found = []
    for field, amount in values.items():
        name = field.decode() if isinstance(field, bytes) else str(field)
        day, _, reason = name.partition("|")
        found.append((day, reason, int(amount)))
    return found


def _add_to_database(taken: Counter[tuple[str, str]]) -> None:
    from django.db import transaction

    from personalization_plugin.models import DroppedEventCount

    with transaction.atomic():
        for (day, reason), amount in sorted(taken.items()):
            row, created = DroppedEventCount.objects.select_for_update().get_or_create(
                day=date.fromisoformat(day), reason=reason, defaults={"count": amount}
            )
            if not created:
                DroppedEventCount.objects.filter(pk=row.pk).update(count=F("count") + amount)


def today() -> dict[str, int]:
    """Events dropped today per reason, folded or not yet (this process's and Redis's)."""
    return totals(days=1)


def totals(days: int = 30) -> dict[str, int]:
    """Events dropped per reason over the last `days` days, including unfolded counts."""
    from personalization_plugin.models import DroppedEventCount

    since = timezone.localdate().toordinal() - days + 1
    found: Counter[str] = Counter()
    rows = (
        DroppedEventCount.objects.filter(day__gte=date.fromordinal(since))
        .values("reason")
        .annotate(total=Sum("count"))
    )
    for row in rows:
        found[row["reason"]] += int(row["total"] or 0)
    with _lock:
        for (day, reason), amount in _local.items():
            if date.fromisoformat(day).toordinal() >= since:
                found[reason] += amount
    url = plugin_settings.REDIS_URL
    if url and not is_down(url):
        try:
            for day, reason, amount in _entries(get_redis(url).hgetall(key("drops"))):
                if date.fromisoformat(day).toordinal() >= since:
                    found[reason] += amount
        except REDIS_ERRORS as exc:
            mark_down(exc, url)
    return dict(found)


def reset() -> None:
    """Forget this process's unfolded counts (tests)."""
    with _lock:
        _local.clear()
