"""A small thread-safe LRU whose entries expire, for per-process caches.

Why not cachetools: its caches are not thread-safe on their own (every use would need
its lock), their TTL is fixed at construction while ours follows settings the owner can
change at run time, and erasure needs `delete_where` to drop a shopper's entries by key.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """A thread-safe LRU whose entries expire after `ttl` seconds."""

    def __init__(self, maxsize: int, ttl: float) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            expires, value = hit
            if expires < time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def get_many(self, keys: Iterable[K], fetch: Callable[[list[K]], Mapping[K, V]]) -> dict[K, V]:
        """The values of `keys` (in order, duplicates once), one `fetch` call for every key
        not cached; keys `fetch` does not return are left out and not cached."""
        found: dict[K, V] = {}
        missing: list[K] = []
        for key in dict.fromkeys(keys):
            cached = self.get(key)
            if cached is None:
                missing.append(key)
            else:
                found[key] = cached
        if missing:
            fetched = fetch(missing)
            for key in missing:
                if key in fetched:
                    value = fetched[key]
                    self.set(key, value)
                    found[key] = value
        return found

    def pop(self, key: K) -> V | None:
        """Remove one entry; its value if it was there and fresh."""
        with self._lock:
            hit = self._data.pop(key, None)
        return hit[1] if hit is not None and hit[0] >= time.monotonic() else None

    def delete_where(self, predicate: Callable[[K], bool]) -> int:
        with self._lock:
            doomed = [key for key in self._data if predicate(key)]
            for key in doomed:
                del self._data[key]
            return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
