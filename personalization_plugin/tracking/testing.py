"""Helpers for tests (of the plugin and of stores using it): reset in-process state."""

from __future__ import annotations


def reset_tracking_state() -> None:
    """Empty the in-process buffer, real-time store, caches, ledgers and rate counters."""
    from ..privacy.consent import forget_cached_consent
    from . import connection, products, ratelimit
    from .backends import base, get_local_backend
    from .realtime import _redis as realtime_instances
    from .realtime import get_local_realtime

    local = get_local_backend()
    with local._lock:
        local._buffer.clear()
    get_local_realtime().clear()
    for store in realtime_instances.values():
        store._epoch = None
    from .backends import _redis as backend_instances

    for backend in backend_instances.values():
        backend._group_ready = False  # type: ignore[attr-defined]
    products.clear_cache()
    ratelimit.reset()
    forget_cached_consent()
    connection._down_until.clear()
    base.ledger.__init__()  # type: ignore[misc]
