"""Event buffering backends: events reach the database in batches, never per request.

`get_backend()` returns the configured backend: "redis" (a Redis stream drained by
`personalization_worker` or `personalization_flush`) or "local" (an in-process buffer).
Both honour `EventBackend`: `submit(event)`, `flush() -> int`, `pending() -> int`,
`scrub(subjects) -> int`.
"""

from __future__ import annotations

import threading

from django.core.exceptions import ImproperlyConfigured

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking.backends.base import EventBackend
from personalization_plugin.tracking.backends.local import LocalBackend

_lock = threading.Lock()
_local: LocalBackend | None = None
_redis: dict[tuple[str, str], EventBackend] = {}


def get_local_backend() -> LocalBackend:
    """The process's one in-process buffer (also the Redis backend's fallback)."""
    global _local
    with _lock:
        if _local is None:
            _local = LocalBackend()
        return _local


def get_backend() -> EventBackend:
    """The configured backend, one instance per process and configuration."""
    name = plugin_settings.event_backend
    if name == "local":
        return get_local_backend()
    if name != "redis":
        raise ImproperlyConfigured(
            f'PERSONALIZATION["EVENT_BACKEND"] is {name!r}; use "auto", "redis" or "local".'
        )
    url = plugin_settings.REDIS_URL
    if not url:
        raise ImproperlyConfigured(
            'PERSONALIZATION["EVENT_BACKEND"] is "redis" but REDIS_URL is not set.'
        )
    from personalization_plugin.tracking.backends.redis_stream import RedisStreamBackend

    fallback = get_local_backend()
    cache_key = (str(url), str(plugin_settings.KEY_PREFIX))
    with _lock:
        backend = _redis.get(cache_key)
        if backend is None:
            backend = _redis[cache_key] = RedisStreamBackend(str(url), fallback)
        return backend


def reset() -> None:
    """Drop buffered events and forget per-URL backends (tests; a changed REDIS_URL)."""
    get_local_backend().discard()
    with _lock:
        _redis.clear()


__all__ = ["EventBackend", "LocalBackend", "get_backend", "get_local_backend"]
