"""Retrying a write that lost a race for SQLite's write lock.

With `transaction_mode="IMMEDIATE"` and a busy timeout (the settings the system check
personalization.W030 asks for) a writer waits for the lock; under a burst longer than the
timeout it still gets `OperationalError: database is locked`. The shopper's consent choice
and erasure request are worth a second and third try before anyone sees an error: both
are idempotent (the same choice recorded, the same data erased again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError

logger = logging.getLogger("personalization_plugin.db")
T = TypeVar("T")
ATTEMPTS = 3
PAUSE_SECONDS = 0.25


def is_lock_timeout(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked" (no other database
    reports contention this way; PostgreSQL waits for row locks instead)."""
    return isinstance(exc, OperationalError) and "is locked" in str(exc)


def retry_when_locked(
    write: Callable[[], T], attempts: int = ATTEMPTS, pause: float = PAUSE_SECONDS
) -> T:
    """`write()`, tried again (up to `attempts` times in all, pausing a little longer
    each time) when SQLite says the database is locked; any other error, and the last
    lock timeout, propagate. `write` must be idempotent and not run inside an outer
    transaction (its retry would not release the lock)."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except OperationalError as exc:
            if attempt == attempts or not is_lock_timeout(exc):
                raise
            logger.warning("Database locked; retrying the write (attempt %d).", attempt + 1)
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
