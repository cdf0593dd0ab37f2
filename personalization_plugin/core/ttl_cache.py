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


class ErasureAwareTTLCache(TTLCache[K, V]):
    """A TTLCache that empties itself when a shared erasure generation moves.

    Per-process caches of per-shopper data would otherwise outlive an erasure done in
    another process by up to their TTL. Every `get` reads `generation()` (one Redis GET,
    or one indexed query without Redis: `tracking.erasure_generation`); when it differs
    from the one the cache was filled under, everything is dropped. A value computed
    under an older generation than the cache has seen since is not stored, so a read
    that raced an erasure cannot put the shopper back.
    """

    def __init__(self, maxsize: int, ttl: float, generation: Callable[[], object]) -> None:
        super().__init__(maxsize, ttl)
        self._generation = generation
        self._filled_under: object = None
        self._seen = threading.local()

    def _sync(self) -> object:
        current = self._generation()
        with self._lock:
            if current != self._filled_under:
                self._data.clear()
                self._filled_under = current
        self._seen.value = current
        return current

    def get(self, key: K) -> V | None:
        self._sync()
        return super().get(key)

    def set(self, key: K, value: V) -> None:
        seen = getattr(self._seen, "value", None)
        if seen is None:  # no read first in this thread: stamp with what holds now
            seen = self._sync()
        with self._lock:
            if seen != self._filled_under:  # computed before an erasure seen since
                return
        super().set(key, value)
