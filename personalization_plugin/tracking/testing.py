"""Helpers for tests (of the plugin and of stores using it): reset in-process state."""

from __future__ import annotations


def reset_tracking_state() -> None:
    """Empty the in-process buffer, real-time store, caches, ledgers and rate counters."""
    from personalization_plugin.consent import forget_cached_consent
    from personalization_plugin.core import redis as connection
    from personalization_plugin.tracking import products, ratelimit
    from personalization_plugin.tracking.backends import base, get_local_backend
    from personalization_plugin.tracking.realtime import _redis as realtime_instances
    from personalization_plugin.tracking.realtime import get_local_realtime

    local = get_local_backend()
    with local._lock:
        local._buffer.clear()
    get_local_realtime().clear()
    for store in realtime_instances.values():
        store._epoch = None
    from personalization_plugin.tracking.backends import _redis as backend_instances

    for backend in backend_instances.values():
        backend._group_ready = False  # type: ignore[attr-defined]
    products.clear_cache()
    ratelimit.reset()
    forget_cached_consent()
    connection._down_until.clear()
    base.ledger.__init__()  # type: ignore[misc]
