"""One Redis client per URL, and a short circuit breaker for when Redis is down.

When Redis stops answering, callers fall back to in-process state instead of failing
a storefront request; the breaker keeps them from paying a connection attempt per
event while it is down, and the outage is logged once, not per event.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis

from personalization_plugin.core.conf import plugin_settings

logger = logging.getLogger("personalization_plugin.redis")

RETRY_AFTER_SECONDS = 5.0
_clients: dict[str, redis.Redis] = {}
_down_until: dict[str, float] = {}
_lock = threading.Lock()

# What a caller catches to fall back: the server is gone or answered garbage.
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError, OSError)


def get_redis(url: str | None = None) -> redis.Redis:
    """A client for `url` (default REDIS_URL), created once per process."""
    url = url or plugin_settings.REDIS_URL
    if not url:
        raise RuntimeError("PERSONALIZATION['REDIS_URL'] is not set.")
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=0.5, socket_timeout=2.0, health_check_interval=30
            )
            _clients[url] = client
        return client


def available(url: str | None = None) -> redis.Redis | None:
    """The client for `url` (default REDIS_URL), or None when Redis is not configured or
    the breaker says it is down: the caller then uses its in-process fallback."""
    url = url or plugin_settings.REDIS_URL
    if not url or is_down(url):
        return None
    return get_redis(url)


def key(*parts: Any) -> str:
    """A Redis key under KEY_PREFIX, e.g. key("trend", "cat", "7") -> "sp:trend:cat:7".

    Never pass a shopper's id as a part: name them by `core.subjects.digest(subject)`."""
    return ":".join([plugin_settings.KEY_PREFIX, *(str(p) for p in parts)])


def is_down(url: str | None = None) -> bool:
    """Whether Redis failed recently (so callers should not try it yet)."""
    url = url or plugin_settings.REDIS_URL or ""
    return _down_until.get(url, 0.0) > time.monotonic()


def mark_down(exc: BaseException, url: str | None = None) -> None:
    """Remember that Redis failed; log only on the first failure of an outage."""
    url = url or plugin_settings.REDIS_URL or ""
    first = url not in _down_until
    _down_until[url] = time.monotonic() + RETRY_AFTER_SECONDS
    if first:
        logger.error(
            "Redis at %s is unreachable (%s); falling back to the in-process buffer and "
            "state until it answers again.",
            _redacted(url),
            type(exc).__name__,
        )


def mark_up(url: str | None = None) -> None:
    url = url or plugin_settings.REDIS_URL or ""
    if _down_until.pop(url, None) is not None:
        logger.warning("Redis at %s answers again.", _redacted(url))


def reset() -> None:
    """Forget every outage (tests, and after settings change the URL)."""
    _down_until.clear()


def _redacted(url: str) -> str:
    """The URL without a password, so logs never carry the secret."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
