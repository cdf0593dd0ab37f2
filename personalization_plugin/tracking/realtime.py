"""Real-time state the next request can use: recently viewed, cart, recent items, trending.

`track()` updates it synchronously. Redis-backed when REDIS_URL is set (falling back to
the in-process store while Redis is down), in-process otherwise. Per-shopper keys expire
after STATE_TTL_SECONDS without activity, so abandoned visitors leave nothing behind.

Trending uses exponential decay without rewrites: an event at time t adds
`weight * 2 ** ((t - epoch) / half_life)` to a sorted set, so older increments are
worth relatively less; reading divides by the same factor for "now". When the exponent
grows large the epoch is moved forward and the sets rescaled once (every ~256 half-lives).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.events import EventType, TrackedEvent
from personalization_plugin.core.redis import (
    REDIS_ERRORS,
    get_redis,
    is_down,
    key,
    mark_down,
    mark_up,
)

STATE_TTL_SECONDS = 30 * 24 * 3600
RECENT_ITEMS_SIZE = 50
TRENDING_SIZE = 5000
REBASE_AFTER_HALF_LIVES = 256.0
RECENT_ITEM_TYPES = {EventType.VIEW, EventType.CART_ADD, EventType.PURCHASE, EventType.CLICK}


def subject_key(name: str, subject: str) -> str:
    """A shopper's real-time key: the subject goes in as a keyed hash, so no customer or
    visitor id can be read back from Redis key names (`SCAN` output, `MONITOR`, backups)."""
    return key(name, subject_keys.digest(subject, purpose="realtime"))


def _timestamp(event: TrackedEvent) -> float:
    try:
        return datetime.fromisoformat(event.occurred_at).timestamp()
    except ValueError:
        return time.time()


def _half_life_seconds() -> float:
    return max(1.0, float(plugin_settings.TRENDING_HALF_LIFE_HOURS) * 3600.0)


def trending_weight(event_type: str) -> float:
    """How much one event counts towards trending (positive feedback only)."""
    weight = float(plugin_settings.EVENT_WEIGHTS.get(event_type, 0.0) or 0.0)
    return weight if weight > 0 else 0.0


def _dedupe(items: Iterable[str], limit: int) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item not in seen:
            seen[item] = None
            if len(seen) >= limit:
                break
    return list(seen)


class RealtimeStore(ABC):
    """What serving and surfaces read; what `track()` writes."""

    @abstractmethod
    def record(self, event: TrackedEvent, category_ids: Iterable[str] = ()) -> None:
        """Apply one event (category_ids: the product's categories, for per-category trending)."""

    @abstractmethod
    def recently_viewed(self, subject: str, n: int = 20) -> list[str]:
        """Product ids the subject viewed, newest first, without repeats."""

    @abstractmethod
    def recent_items(self, subject: str, n: int = 10) -> list[str]:
        """Products recently viewed, carted, clicked or bought, newest first."""

    @abstractmethod
    def cart(self, subject: str) -> list[str]:
        """Product ids in the subject's current cart, most recently added first."""

    @abstractmethod
    def trending(self, n: int = 10, category_id: str | None = None) -> list[tuple[str, float]]:
        """(product id, decayed score) pairs, highest first."""

    @abstractmethod
    def forget(self, subject: str) -> int:
        """Delete the subject's state; returns how many keys/lists were removed."""

    @abstractmethod
    def merge(self, source: str, target: str) -> None:
        """Move `source`'s state into `target` (anonymous visitor into customer on login)."""

    def state(self, subject: str) -> dict[str, list[str]]:
        """Everything held about one subject (for data export)."""
        return {
            "recently_viewed": self.recently_viewed(subject, n=1000),
            "recent_items": self.recent_items(subject, n=1000),
            "cart": self.cart(subject),
        }


class _Subject:
    __slots__ = ("viewed", "recent", "cart", "expires")

    def __init__(self) -> None:
        self.viewed: list[str] = []
        self.recent: list[str] = []
        self.cart: dict[str, float] = {}
        self.expires = 0.0


class LocalRealtime(RealtimeStore):
    """The in-process store for the embedded mode: bounded and thread-safe."""

    MAX_SUBJECTS = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subjects: OrderedDict[str, _Subject] = OrderedDict()
        self._trend: dict[str, dict[str, float]] = {}
        self._epoch: float | None = None

    def _get(self, subject: str, create: bool = False) -> _Subject | None:
        entry = self._subjects.get(subject)
        now = time.time()
        if entry is not None and entry.expires < now:
            del self._subjects[subject]
            entry = None
        if entry is None and create:
            entry = self._subjects[subject] = _Subject()
            while len(self._subjects) > self.MAX_SUBJECTS:
                self._subjects.popitem(last=False)
        if entry is not None and create:
            entry.expires = now + STATE_TTL_SECONDS
            self._subjects.move_to_end(subject)
        return entry

    def record(self, event: TrackedEvent, category_ids: Iterable[str] = ()) -> None:
        kind, pid, ts = event.type, event.product_id, _timestamp(event)
        with self._lock:
            entry = self._get(event.subject, create=True)
            assert entry is not None
            if kind == EventType.VIEW:
                size = int(plugin_settings.RECENTLY_VIEWED_SIZE)
                entry.viewed = _dedupe([pid, *entry.viewed], size)
            if kind in RECENT_ITEM_TYPES and pid:
                entry.recent = _dedupe([pid, *entry.recent], RECENT_ITEMS_SIZE)
            if kind == EventType.CART_ADD:
                entry.cart[pid] = ts
            elif kind == EventType.CART_REMOVE:
                entry.cart.pop(pid, None)
            elif kind == EventType.PURCHASE:
                entry.cart.clear()
            weight = trending_weight(kind)
            if weight and pid:
                increment = weight * self._growth(ts)
                for trend_key in ["", *{event.category_id, *category_ids} - {""}]:
                    board = self._trend.setdefault(trend_key, {})
                    board[pid] = board.get(pid, 0.0) + increment

    def _growth(self, ts: float) -> float:
        if self._epoch is None:
            self._epoch = ts
        exponent = (ts - self._epoch) / _half_life_seconds()
        if exponent > REBASE_AFTER_HALF_LIVES:
            factor = 2.0**-exponent
            for board in self._trend.values():
                for pid in board:
                    board[pid] *= factor
            self._epoch, exponent = ts, 0.0
        return 2.0**exponent

    def recently_viewed(self, subject: str, n: int = 20) -> list[str]:
        with self._lock:
            entry = self._get(subject)
            return list(entry.viewed[:n]) if entry else []

    def recent_items(self, subject: str, n: int = 10) -> list[str]:
        with self._lock:
            entry = self._get(subject)
            return list(entry.recent[:n]) if entry else []

    def cart(self, subject: str) -> list[str]:
        with self._lock:
            entry = self._get(subject)
            if not entry:
                return []
            return [p for p, _ in sorted(entry.cart.items(), key=lambda kv: -kv[1])]

    def trending(self, n: int = 10, category_id: str | None = None) -> list[tuple[str, float]]:
        with self._lock:
            board = dict(self._trend.get(category_id or "", {}))
            epoch = self._epoch
        if not board or epoch is None:
            return []
        scale = 2.0 ** (-(time.time() - epoch) / _half_life_seconds())
        top = sorted(board.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return [(pid, score * scale) for pid, score in top]

    def forget(self, subject: str) -> int:
        with self._lock:
            return 1 if self._subjects.pop(subject, None) is not None else 0

    def merge(self, source: str, target: str) -> None:
        with self._lock:
            src = self._subjects.pop(source, None)
            if src is None:
                return
            dst = self._get(target, create=True)
            assert dst is not None
            size = int(plugin_settings.RECENTLY_VIEWED_SIZE)
            dst.viewed = _dedupe([*src.viewed, *dst.viewed], size)
            dst.recent = _dedupe([*src.recent, *dst.recent], RECENT_ITEMS_SIZE)
            dst.cart = {**dst.cart, **src.cart}

    def clear(self) -> None:
        """Drop everything (tests and `personalization_erase --all` style maintenance)."""
        with self._lock:
            self._subjects.clear()
            self._trend.clear()
            self._epoch = None


class RedisRealtime(RealtimeStore):
    """Redis lists, sorted sets and TTLs; the in-process store stands in while Redis is down."""

    def __init__(self, url: str, fallback: LocalRealtime) -> None:
        self.url = url
        self.fallback = fallback
        self._epoch: float | None = None
        self._counter = 0

    @property
    def client(self) -> Any:
        return get_redis(self.url)

    def _call(self, method: str, *args: Any) -> Any:
        if is_down(self.url):
            return getattr(self.fallback, method)(*args)
        try:
            result = getattr(self, "_" + method)(*args)
        except REDIS_ERRORS as exc:
            mark_down(exc, self.url)
            return getattr(self.fallback, method)(*args)
        mark_up(self.url)
        return result

    def record(self, event: TrackedEvent, category_ids: Iterable[str] = ()) -> None:
        self._call("record", event, tuple(category_ids))

    def _record(self, event: TrackedEvent, category_ids: tuple[str, ...]) -> None:
        pipe = self.client.pipeline(transaction=False)
        self.queue(pipe, event, category_ids)
        pipe.execute()

    def queue(self, pipe: Any, event: TrackedEvent, category_ids: Iterable[str] = ()) -> None:
        """Queue the update for one event onto a pipeline (run by the caller)."""
        pipe.eval(STATE_LUA, *self.script_args(event, category_ids))

    def script_args(
        self,
        event: TrackedEvent,
        category_ids: Iterable[str] = (),
        stream: str = "",
        event_json: str = "",
    ) -> list[Any]:
        """`numkeys, *keys, *args` for one EVAL of STATE_LUA applying this event.

        With `stream` and `event_json` the same script also XADDs the event, so tracking
        an event costs one command and one round trip. EVAL rather than EVALSHA: it
        survives SCRIPT FLUSH or a restarted server, and redis-py would add a SCRIPT
        EXISTS round trip to every pipeline for a registered script.
        """
        kind, pid, subject = event.type, event.product_id, event.subject
        cart_op = _CART_OPS.get(kind, "")
        weight = trending_weight(kind) if pid else 0.0
        ts = _timestamp(event)
        increment = weight * self._growth(ts) if weight else 0.0
        boards = [key("trend")]
        if increment:
            boards += [
                key("trend", "cat", c) for c in sorted({event.category_id, *category_ids} - {""})
            ]
        self._counter = (self._counter + 1) % TRIM_EVERY
        keys = [
            subject_key("rv", subject),
            subject_key("ri", subject),
            subject_key("cart", subject),
        ]
        keys += [stream or keys[0], *boards]
        return [
            len(keys),
            *keys,
            pid,
            "1" if kind == EventType.VIEW else "",
            int(plugin_settings.RECENTLY_VIEWED_SIZE),
            "1" if kind in RECENT_ITEM_TYPES and pid else "",
            RECENT_ITEMS_SIZE,
            cart_op,
            repr(ts),
            repr(increment),
            STATE_TTL_SECONDS,
            TRENDING_SIZE if self._counter == 0 else 0,
            event_json if stream else "",
        ]

    def _load_epoch(self) -> float:
        if self._epoch is None:
            epoch_key = key("trend", "epoch")
            self.client.set(epoch_key, repr(time.time()), nx=True)
            self._epoch = float(self.client.get(epoch_key))
        return self._epoch

    def _growth(self, ts: float) -> float:
        epoch = self._load_epoch()
        exponent = (ts - epoch) / _half_life_seconds()
        if exponent > REBASE_AFTER_HALF_LIVES:
            self._rebase(ts, 2.0**-exponent)
            exponent = 0.0
        return 2.0**exponent

    def _rebase(self, new_epoch: float, factor: float) -> None:
        client = self.client
        for board in client.scan_iter(key("trend") + "*", count=1000):
            if board.decode().endswith(":epoch"):
                continue
            if client.type(board) == b"zset":
                client.zunionstore(board, {board: factor})
        client.set(key("trend", "epoch"), repr(new_epoch))
        self._epoch = new_epoch

    def recently_viewed(self, subject: str, n: int = 20) -> list[str]:
        return self._call("recently_viewed", subject, n)

    def _recently_viewed(self, subject: str, n: int) -> list[str]:
        return [v.decode() for v in self.client.lrange(subject_key("rv", subject), 0, n - 1)]

    def recent_items(self, subject: str, n: int = 10) -> list[str]:
        return self._call("recent_items", subject, n)

    def _recent_items(self, subject: str, n: int) -> list[str]:
        return [v.decode() for v in self.client.lrange(subject_key("ri", subject), 0, n - 1)]

    def cart(self, subject: str) -> list[str]:
        return self._call("cart", subject)

    def _cart(self, subject: str) -> list[str]:
        return [v.decode() for v in self.client.zrevrange(subject_key("cart", subject), 0, -1)]

    def trending(self, n: int = 10, category_id: str | None = None) -> list[tuple[str, float]]:
        return self._call("trending", n, category_id)

    def _trending(self, n: int, category_id: str | None) -> list[tuple[str, float]]:
        board = key("trend", "cat", category_id) if category_id else key("trend")
        rows = self.client.zrevrange(board, 0, n - 1, withscores=True)
        if not rows:
            return []
        scale = 2.0 ** (-(time.time() - self._load_epoch()) / _half_life_seconds())
        return [(pid.decode(), float(score) * scale) for pid, score in rows]

    def forget(self, subject: str) -> int:
        local = self.fallback.forget(subject)
        return local + self._call("forget", subject)

    def _forget(self, subject: str) -> int:
        return int(
            self.client.delete(
                subject_key("rv", subject), subject_key("ri", subject), subject_key("cart", subject)
            )
        )

    def merge(self, source: str, target: str) -> None:
        self.fallback.merge(source, target)
        self._call("merge", source, target)

    def _merge(self, source: str, target: str) -> None:
        client = self.client
        size = int(plugin_settings.RECENTLY_VIEWED_SIZE)
        for name, limit in (("rv", size), ("ri", RECENT_ITEMS_SIZE)):
            src, dst = subject_key(name, source), subject_key(name, target)
            items = [v.decode() for v in client.lrange(src, 0, -1)]
            if not items:
                continue
            merged = _dedupe([*items, *(v.decode() for v in client.lrange(dst, 0, -1))], limit)
            pipe = client.pipeline()
            pipe.delete(dst, src)
            pipe.rpush(dst, *merged)
            pipe.expire(dst, STATE_TTL_SECONDS)
            pipe.execute()
        src_cart, dst_cart = subject_key("cart", source), subject_key("cart", target)
        if client.exists(src_cart):
            pipe = client.pipeline()
            pipe.zunionstore(dst_cart, [src_cart, dst_cart], aggregate="MAX")
            pipe.delete(src_cart)
            pipe.expire(dst_cart, STATE_TTL_SECONDS)
            pipe.execute()


# KEYS: recently viewed, recent items, cart, event stream, trending boards...
# ARGV: product, do_viewed, viewed_size, do_recent, recent_size, cart_op, ts, increment,
#       ttl, trim_to, event_json ("" = no XADD)
STATE_LUA = """
local pid, ttl = ARGV[1], tonumber(ARGV[9])
local function push(list, size)
  redis.call('LREM', list, 0, pid)
  redis.call('LPUSH', list, pid)
  redis.call('LTRIM', list, 0, size - 1)
  redis.call('EXPIRE', list, ttl)
end
if ARGV[2] == '1' then push(KEYS[1], tonumber(ARGV[3])) end
if ARGV[4] == '1' then push(KEYS[2], tonumber(ARGV[5])) end
if ARGV[6] == 'add' then
  redis.call('ZADD', KEYS[3], ARGV[7], pid)
  redis.call('EXPIRE', KEYS[3], ttl)
elseif ARGV[6] == 'remove' then
  redis.call('ZREM', KEYS[3], pid)
elseif ARGV[6] == 'clear' then
  redis.call('DEL', KEYS[3])
end
if tonumber(ARGV[8]) > 0 then
  local trim = tonumber(ARGV[10])
  for i = 5, #KEYS do
    redis.call('ZINCRBY', KEYS[i], ARGV[8], pid)
    if trim > 0 then redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -trim - 1) end
  end
end
if ARGV[11] ~= '' then
  redis.call('XADD', KEYS[4], '*', 'e', ARGV[11])
end
return 1
"""
_CART_OPS = {
    EventType.CART_ADD.value: "add",
    EventType.CART_REMOVE.value: "remove",
    EventType.PURCHASE.value: "clear",
}
TRIM_EVERY = 64  # boards are trimmed to TRENDING_SIZE on every 64th update

_lock = threading.Lock()
_local: LocalRealtime | None = None
_redis: dict[tuple[str, str], RedisRealtime] = {}


def get_local_realtime() -> LocalRealtime:
    global _local
    with _lock:
        if _local is None:
            _local = LocalRealtime()
        return _local


def get_realtime() -> RealtimeStore:
    """The configured real-time store: Redis-backed when REDIS_URL is set."""
    url = plugin_settings.REDIS_URL
    fallback = get_local_realtime()
    if not url:
        return fallback
    cache_key = (str(url), str(plugin_settings.KEY_PREFIX))
    with _lock:
        store = _redis.get(cache_key)
        if store is None:
            store = _redis[cache_key] = RedisRealtime(str(url), fallback)
        return store


def reset() -> None:
    """Empty the in-process store and forget per-URL Redis stores (tests; new settings)."""
    get_local_realtime().clear()
    with _lock:
        _redis.clear()
