"""Real-time state the next request can use: recently viewed, cart, recent items,
trending, and the shopper's profile events not yet folded into their segment profile.

`track()` updates it synchronously, in one Redis round trip per event (`STATE_LUA`).
Redis-backed when REDIS_URL is set (falling back to the in-process store while Redis is
down), in-process otherwise. Per-shopper keys expire after STATE_TTL_SECONDS without
activity, so abandoned visitors leave nothing behind.

Trending counts distinct shoppers with exponential decay; its rules, its epoch and its
rebase live in `tracking.trending`. Profile events: every activity event is appended to
a short per-shopper queue in the same script (an atomic append, so concurrent events
never overwrite each other); `profiles.store` folds the queue into the cached profile
when it reads it, and merges it into a profile rebuilt from the database, so a rebuild
never misses events still waiting in the event buffer.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from personalization_plugin.core import request_scope
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.events import ACTIVITY_EVENTS, EventType, TrackedEvent
from personalization_plugin.core.redis import (
    REDIS_ERRORS,
    get_redis,
    is_down,
    key,
    mark_down,
    mark_up,
)
from personalization_plugin.tracking import trending as trend
from personalization_plugin.tracking.trending import (
    TRENDING_SIZE,
    LocalTrending,
    trending_weight,
)

STATE_TTL_SECONDS = 30 * 24 * 3600
RECENT_ITEMS_SIZE = 50
PROFILE_QUEUE_SIZE = 500  # profile events kept per shopper until folded or flushed
RECENT_ITEM_TYPES = {EventType.VIEW, EventType.CART_ADD, EventType.PURCHASE, EventType.CLICK}
PROFILE_EVENT_TYPES = frozenset(str(e) for e in ACTIVITY_EVENTS)
CATEGORY_PROFILE_TYPES = {EventType.VIEW.value, EventType.CATEGORY_VIEW.value}

__all__ = [
    "STATE_LUA",
    "TRENDING_SIZE",
    "LocalRealtime",
    "RealtimeStore",
    "RedisRealtime",
    "get_realtime",
    "profile_entry",
    "profile_queue_key",
    "subject_key",
    "trending_weight",
]


def subject_key(name: str, subject: str) -> str:
    """A shopper's real-time key: the subject goes in as a keyed hash, so no customer or
    visitor id can be read back from Redis key names (`SCAN` output, `MONITOR`, backups)."""
    return key(name, subject_keys.digest(subject, purpose="realtime"))


def profile_queue_key(subject: str) -> str:
    """The Redis list of a shopper's profile events not yet folded into their profile
    (written here, read and trimmed by `profiles.store`); named by a keyed hash."""
    return key("seg", "q", subject_keys.digest(subject, purpose="profile"))


def profile_queue_ttl() -> int:
    """Longer than the profile it amends lives (SEGMENT_PROFILE_TTL), plus an hour for a
    slow flush, so a cached profile never outlives an event it has not folded yet."""
    return int(plugin_settings.SEGMENT_PROFILE_TTL) + 3600


def _timestamp(event: TrackedEvent) -> float:
    try:
        return datetime.fromisoformat(event.occurred_at).timestamp()
    except ValueError:
        return time.time()


def profile_entry(event: TrackedEvent, categories: Iterable[str] = ()) -> dict[str, Any] | None:
    """What a segment profile folds from one event (`profiles.profile.apply_event`'s
    arguments, with the event id so a rebuild can tell stored events from buffered
    ones), or None for events profiles ignore. Holds no visitor or customer id."""
    if event.type not in PROFILE_EVENT_TYPES:
        return None
    category = event.category_id or next(iter(categories), "")
    return {
        "i": event.event_id,
        "t": event.type,
        "ts": _timestamp(event),
        "p": event.product_id,
        "c": category if event.type in CATEGORY_PROFILE_TYPES else "",
        "o": event.order_id,
        "q": event.query,
        "n": event.quantity,
        "m": event.price or None,
    }


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
        """(product id, decayed distinct-shopper score) pairs, highest first, of items with
        at least TRENDING_MIN_SHOPPERS recent shoppers (see `tracking.trending`)."""

    @abstractmethod
    def forget(self, subject: str) -> int:
        """Delete the subject's state and take their contribution off the trending boards;
        returns how many keys/lists were removed."""

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
    __slots__ = ("viewed", "recent", "cart", "profile_events", "expires")

    def __init__(self) -> None:
        self.viewed: list[str] = []
        self.recent: list[str] = []
        self.cart: dict[str, float] = {}
        self.profile_events: list[dict[str, Any]] = []
        self.expires = 0.0


class LocalRealtime(RealtimeStore):
    """The in-process store for the embedded mode: bounded and thread-safe."""

    MAX_SUBJECTS = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subjects: OrderedDict[str, _Subject] = OrderedDict()
        self._trend = LocalTrending()

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
        request_scope.forget()  # this request's later reads see the new state
        kind, pid, ts = event.type, event.product_id, _timestamp(event)
        categories = tuple(category_ids)
        profile = profile_entry(event, categories)
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
            if profile is not None:
                entry.profile_events = [*entry.profile_events, profile][-PROFILE_QUEUE_SIZE:]
            self._trend.record(
                event.subject,
                pid,
                trending_weight(kind),
                ts,
                {event.category_id, *categories},
            )

    def profile_events(self, subject: str) -> list[dict[str, Any]]:
        """The subject's queued profile events, oldest first (a copy)."""
        with self._lock:
            entry = self._subjects.get(subject)
            return list(entry.profile_events) if entry is not None else []

    def drop_profile_events(self, subject: str, count: int | None) -> None:
        """Remove the `count` oldest queued profile events (None: all), once folded."""
        with self._lock:
            entry = self._subjects.get(subject)
            if entry is not None:
                entry.profile_events = [] if count is None else entry.profile_events[count:]

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
            return self._trend.top(n, category_id)

    def forget(self, subject: str) -> int:
        request_scope.forget()
        with self._lock:
            removed = 1 if self._subjects.pop(subject, None) is not None else 0
            return removed + self._trend.forget(subject)

    def merge(self, source: str, target: str) -> None:
        request_scope.forget()
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
            queued = sorted([*dst.profile_events, *src.profile_events], key=lambda e: e["ts"])
            dst.profile_events = queued[-PROFILE_QUEUE_SIZE:]

    def clear(self) -> None:
        """Drop everything (tests and `personalization_erase --all` style maintenance)."""
        request_scope.forget()
        with self._lock:
            self._subjects.clear()
            self._trend.clear()


class RedisRealtime(RealtimeStore):
    """Redis lists, sorted sets and TTLs; the in-process store stands in while Redis is down."""

    def __init__(self, url: str, fallback: LocalRealtime) -> None:
        self.url = url
        self.fallback = fallback

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
        request_scope.forget()
        self._call("record", event, tuple(category_ids))

    def _record(self, event: TrackedEvent, category_ids: tuple[str, ...]) -> None:
        pipe = self.client.pipeline(transaction=False)
        self.queue(pipe, event, category_ids)
        pipe.execute()

    def queue(self, pipe: Any, event: TrackedEvent, category_ids: Iterable[str] = ()) -> None:
        """Queue the update for one event onto a pipeline (run by the caller)."""
        request_scope.forget()
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
        an event costs one command and one round trip: recently viewed, cart, trending
        (with its epoch and rebase, read and done inside the script), the profile event
        queue and the event buffer. Pure: reads nothing from Redis.
        """
        kind, pid, subject = event.type, event.product_id, event.subject
        categories = tuple(category_ids)
        weight = trending_weight(kind) if pid else 0.0
        ts = min(_timestamp(event), trend.clock())
        cats = sorted({event.category_id, *categories} - {""}) if weight else []
        profile = profile_entry(event, categories)
        # One keyed hash names all of the shopper's real-time keys (what `subject_key`
        # builds, computed once: intake is the hot path).
        prefix = str(plugin_settings.KEY_PREFIX)
        mine = f"{prefix}:%s:{subject_keys.digest(subject, purpose='realtime')}"
        keys = [
            mine % "rv",
            mine % "ri",
            mine % "cart",
            stream or mine % "rv",
            mine % "tl",
            f"{prefix}:trend:epoch",
            f"{prefix}:trend:support",
            f"{prefix}:trend:boards",
            profile_queue_key(subject),
            f"{prefix}:trend",
            *(f"{prefix}:trend:cat:{c}" for c in cats),
        ]
        fields = pack_fields(
            pid,
            "1" if kind == EventType.VIEW else "",
            "1" if kind in RECENT_ITEM_TYPES and pid else "",
            _CART_OPS.get(kind, ""),
            repr(ts),
            repr(weight),
            event_json if stream else "",
            trend.SEPARATOR.join(cats),
            json.dumps(profile, separators=(",", ":")) if profile else "",
        )
        return [len(keys), *keys, fields, script_config()]

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
        if n <= 0:
            return []
        board = key("trend", "cat", category_id) if category_id else key("trend")
        now, half_life = trend.clock(), trend.half_life_seconds()
        rows = self.client.eval(
            trend.TREND_READ_LUA,
            3,
            board,
            key("trend", "support"),
            key("trend", "epoch"),
            n,
            repr(now),
            repr(half_life),
            repr(trend.min_shoppers()),
            trend.max_scan(n),
        )
        if not rows:
            return []
        scale = 2.0 ** (-(now - float(rows[0])) / half_life)
        pairs = zip(rows[1::2], rows[2::2], strict=True)
        return [(pid.decode(), float(score) * scale) for pid, score in pairs]

    def forget(self, subject: str) -> int:
        request_scope.forget()
        local = self.fallback.forget(subject)
        return local + self._call("forget", subject)

    def _forget(self, subject: str) -> int:
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(
            subject_key("rv", subject),
            subject_key("ri", subject),
            subject_key("cart", subject),
            profile_queue_key(subject),
        )
        pipe.eval(
            trend.TREND_FORGET_LUA,
            4,
            subject_key("tl", subject),
            key("trend", "epoch"),
            key("trend", "support"),
            key("trend"),
            key("trend", "cat", ""),
            repr(trend.half_life_seconds()),
            repr(trend.clock()),
        )
        deleted, ledger = pipe.execute()
        return int(deleted) + int(ledger)

    def merge(self, source: str, target: str) -> None:
        request_scope.forget()
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
        client.eval(
            _MOVE_QUEUE_LUA,
            2,
            profile_queue_key(source),
            profile_queue_key(target),
            PROFILE_QUEUE_SIZE,
            profile_queue_ttl(),
        )


# KEYS: 1 recently viewed, 2 recent items, 3 cart, 4 event stream, 5 trending ledger,
#       6 trending epoch, 7 support board, 8 set of board names, 9 profile queue,
#       10.. trending boards
# ARGV: 1 the event's nine fields packed into one string (`pack_fields`, fewer arguments
#       for redis-py to encode per event): 1 product, 2 do_viewed, 3 do_recent, 4 cart_op,
#       5 ts, 6 trending weight, 7 event_json ("" = no XADD), 8 categories, 9 profile
#       event ("" = none); 2 the numbers of `script_config`, "|"-joined
STATE_LUA = (
    trend.REDIS_TREND_LUA
    + """
local cfg = {}
for value in string.gmatch(ARGV[2], '[^|]+') do cfg[#cfg + 1] = tonumber(value) end
local packed, at = ARGV[1], 1  -- unpacked in place: `trend` reads ARGV[5] and ARGV[8]
for i = 1, 9 do
  local colon = string.find(packed, ':', at, true)
  local size = tonumber(string.sub(packed, at, colon - 1))
  ARGV[i] = string.sub(packed, colon + 1, colon + size)
  at = colon + size + 1
end
local pid, ttl = ARGV[1], cfg[3]
local function push(list, size)
  redis.call('LREM', list, 0, pid)
  redis.call('LPUSH', list, pid)
  redis.call('LTRIM', list, 0, size - 1)
  redis.call('EXPIRE', list, ttl)
end
if ARGV[2] == '1' then push(KEYS[1], cfg[1]) end
if ARGV[3] == '1' then push(KEYS[2], cfg[2]) end
if ARGV[4] == 'add' then
  redis.call('ZADD', KEYS[3], ARGV[5], pid)
  redis.call('EXPIRE', KEYS[3], ttl)
elseif ARGV[4] == 'remove' then
  redis.call('ZREM', KEYS[3], pid)
elseif ARGV[4] == 'clear' then
  redis.call('DEL', KEYS[3])
end
if tonumber(ARGV[6]) > 0 then trend(pid, tonumber(ARGV[5]), tonumber(ARGV[6]), cfg) end
if ARGV[9] ~= '' then
  redis.call('RPUSH', KEYS[9], ARGV[9])
  redis.call('LTRIM', KEYS[9], -cfg[9], -1)
  redis.call('EXPIRE', KEYS[9], cfg[8])
end
if ARGV[7] ~= '' then
  redis.call('XADD', KEYS[4], '*', 'e', ARGV[7])
end
return 1
"""
)


def pack_fields(*fields: str) -> bytes:
    """Fields as one string the state script splits: each is `<byte length>:<bytes>`, so
    any content (an id holding ':' or '|', JSON) survives without escaping."""
    parts = [field.encode() for field in fields]
    return b"".join(b"%d:%s" % (len(part), part) for part in parts)


def script_config() -> str:
    """The state script's numbers, in its order: recently viewed size, recent items size,
    state TTL, board size, rebase after (half-lives), ledger TTL, ledger max fields,
    profile queue TTL, profile queue size, half-life (s), negligible score, trim slack.

    Built once per settings change (none of them is an owner override)."""
    return str(plugin_settings.derived("state_script_config", _script_config))


def _script_config() -> str:
    return "|".join(
        str(value)
        for value in (
            int(plugin_settings.RECENTLY_VIEWED_SIZE),
            RECENT_ITEMS_SIZE,
            STATE_TTL_SECONDS,
            trend.TRENDING_SIZE,
            repr(float(trend.REBASE_AFTER_HALF_LIVES)),
            trend.ledger_ttl_seconds(),
            trend.MAX_LEDGER_ITEMS * 5 + 1,
            profile_queue_ttl(),
            PROFILE_QUEUE_SIZE,
            repr(trend.half_life_seconds()),
            repr(trend.NEGLIGIBLE),
            trend.TRIM_SLACK,
        )
    )


# KEYS: source queue, target queue. ARGV: size, ttl. Appends the source's profile events
# to the target's and deletes the source (a visitor who signed in).
_MOVE_QUEUE_LUA = """
local moved = redis.call('LRANGE', KEYS[1], 0, -1)
if #moved == 0 then return 0 end
for _, entry in ipairs(moved) do redis.call('RPUSH', KEYS[2], entry) end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[1]), -1)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
redis.call('DEL', KEYS[1])
return #moved
"""
_CART_OPS = {
    EventType.CART_ADD.value: "add",
    EventType.CART_REMOVE.value: "remove",
    EventType.PURCHASE.value: "clear",
}

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
