"""A value read from the database and re-read at most every few seconds, per process.

Serving consults owner-edited tables (merchandising rules, experiments) on every
request. Reading them each time would cost a query per page; caching them forever would
ignore the owner's edits. `Reloaded` keeps the last read for `seconds`, and a signal
handler calls `forget()` when a row changes in this process. A failed read never fails
a storefront page: it is logged, and the `empty` value serves until the next try.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Reloaded(Generic[T]):
    """`load()`'s result, re-read when older than `seconds` or after `forget()`."""

    def __init__(
        self,
        load: Callable[[], T],
        *,
        seconds: float,
        empty: T,
        what: str,
        errors: tuple[type[BaseException], ...] = (Exception,),
        logger: logging.Logger | None = None,
    ) -> None:
        self._load = load
        self.seconds = seconds
        self._empty = empty
        self._what = what
        self._errors = errors
        self._logger = logger or logging.getLogger("personalization_plugin")
        self._lock = threading.Lock()
        self._loaded: tuple[float, T] = (float("-inf"), empty)

    def get(self) -> T:
        loaded_at, value = self._loaded
        if time.monotonic() - loaded_at < self.seconds:
            return value
        with self._lock:
            try:
                value = self._load()
            except self._errors:
                self._logger.exception("Could not read %s; serving without them", self._what)
                value = self._empty
            self._loaded = (time.monotonic(), value)
        return value

    def forget(self) -> None:
        """Read again on next use (a row changed, or a test starts)."""
        self._loaded = (float("-inf"), self._empty)
