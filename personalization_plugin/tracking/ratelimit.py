"""Fixed-window rate limiting of the intake endpoint, per visitor and per IP address.

Counts events (not requests) per minute. Redis counters when REDIS_URL is set, so all
web processes share one limit; in-process counters otherwise. Visitor ids and IP
addresses are stored only as keyed hashes, and only for the current minute.
"""

from __future__ import annotations

import threading
import time

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.redis import REDIS_ERRORS, get_redis, is_down, key, mark_down

_lock = threading.Lock()
_counts: dict[tuple[int, str], int] = {}


def ip_key(ip: str) -> str:
    return "ip:" + subject_keys.digest(ip, purpose="ratelimit", length=20)


def counter_name(name: str) -> str:
    """The counter's key name: a keyed hash, so no visitor id or address is stored in clear."""
    if name.startswith("ip:"):
        return name
    return "h:" + subject_keys.digest(name, purpose="ratelimit", length=20)


def allow(keys: list[str], amount: int, limit: int | None = None) -> bool:
    """Add `amount` to each key's counter for this minute; False if any now exceeds the limit."""
    limit = int(limit if limit is not None else plugin_settings.RATE_LIMIT_PER_MINUTE)
    if limit <= 0:
        return True
    window = int(time.time() // 60)
    url = plugin_settings.REDIS_URL
    if url and not is_down(url):
        try:
            pipe = get_redis(url).pipeline(transaction=False)
            for name in keys:
                counter = key("rl", counter_name(name), window)
                pipe.incrby(counter, amount)
                pipe.expire(counter, 120)
            totals = pipe.execute()[0::2]
            return all(int(total) <= limit for total in totals)
        except REDIS_ERRORS as exc:
            mark_down(exc, url)
    with _lock:
        for stale in [k for k in _counts if k[0] < window]:
            del _counts[stale]
        totals = []
        for name in keys:
            _counts[(window, name)] = _counts.get((window, name), 0) + amount
            totals.append(_counts[(window, name)])
    return all(total <= limit for total in totals)


def forget(subjects: set[str]) -> int:
    """Drop the current and previous minute's counters of these subjects (erasure)."""
    window = int(time.time() // 60)
    names = [counter_name(s) for s in subjects]
    with _lock:
        doomed = [k for k in _counts if k[1] in subjects]
        for k in doomed:
            del _counts[k]
    removed = len(doomed)
    url = plugin_settings.REDIS_URL
    if url and names and not is_down(url):
        try:
            counters = [key("rl", n, w) for n in names for w in (window - 1, window)]
            removed += int(get_redis(url).delete(*counters))
        except REDIS_ERRORS as exc:
            mark_down(exc, url)
    return removed


def reset() -> None:
    with _lock:
        _counts.clear()
