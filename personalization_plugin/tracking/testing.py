"""Helpers for tests (of the plugin and of stores using it): reset in-process state."""

from __future__ import annotations


def reset_tracking_state() -> None:
    """Empty the in-process buffer, real-time store, caches, ledgers and rate counters,
    and forget Redis outages: each through the public reset of the module that owns it."""
    from personalization_plugin.consent import forget_cached_consent
    from personalization_plugin.core import redis as connection
    from personalization_plugin.tracking import backends, drops, products, ratelimit, realtime
    from personalization_plugin.tracking.backends import base

    backends.reset()
    realtime.reset()
    products.clear_cache()
    ratelimit.reset()
    drops.reset()
    forget_cached_consent()
    connection.reset()
    base.ledger.clear()
