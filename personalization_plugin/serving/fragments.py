"""Rendered widget fragments, cached per shopper state: a warm partial in one round trip.

A lazy widget's partial (`/widgets/p/<placement>/`) is asked for on every page view,
and most of the time nothing it depends on has changed since the last one. Rendering
it again costs several Redis reads (recent items, cart, cached list), a catalog lookup,
the rules, the experiment arm and a template render. So the rendered HTML is kept, under
a key that changes whenever the list could:

- the shopper's real-time state: their recent items, recently viewed products and cart
  as Redis holds them right now. A new view, cart add, removal or purchase (which
  `track()` records synchronously) selects a new key on the very next request;
- the serving context: the active model version, the merchandising rules, the live
  experiments and whether personalization is on (`context_digest`, computed in-process
  from the objects serving itself uses, so an owner's edit changes it);
- the request: placement, every query parameter, the language;
- a store-wide generation, bumped by `invalidate()` (`clear_caches()`, a catalog change).

With Redis, the state is read and hashed and the fragment fetched in one Lua script
(`READ_LUA`): a warm partial costs one round trip and no database query. Products sold
out or re-priced show up within FRAGMENT_TTL seconds, the same bound the product cache
(`serving.catalog.PRODUCT_TTL`) already gives every list.

Privacy: a shopper's fragments live under their cached-list key (`cache.subject_key`,
a keyed hash), so erasing their cached lists (`cache.erase_subjects`, a SCAN of that
prefix) erases their fragments too; the in-process copies go with `erase_subjects`
here. Lists that use no history (the shopper may not be personalized) are shared by
everyone under one key, since they name nobody.

Each list's `recommendation_id` is replaced with a fresh one on every serve, so a cached
fragment never makes two page views one impression.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.redis import REDIS_ERRORS, available, key, mark_down
from personalization_plugin.core.ttl_cache import TTLCache
from personalization_plugin.serving import cache
from personalization_plugin.tracking.realtime import RECENT_ITEMS_SIZE, get_realtime

logger = logging.getLogger("personalization_plugin.serving")

RID_MARK = "\x00sp-rid\x00"  # where the list's recommendation id goes, filled on each serve
LOCAL_SIZE = 5_000
SEPARATOR = "\x1f"

# KEYS: 1 recent items, 2 recently viewed, 3 cart, 4 generation. ARGV: 1 the fragment
# key's prefix, 2 the request's digest, 3 "1" when the list uses the shopper's state.
# Returns {fragment key, fragment or nil}. The key is the sha1 of everything the list
# depends on, so a changed state or context finds no fragment (and the next write sets it).
READ_LUA = f"""
local parts = {{ARGV[2], redis.call('GET', KEYS[4]) or '0'}}
if ARGV[3] == '1' then
  parts[3] = table.concat(redis.call('LRANGE', KEYS[1], 0, {RECENT_ITEMS_SIZE - 1}), ',')
  parts[4] = table.concat(redis.call('LRANGE', KEYS[2], 0, {RECENT_ITEMS_SIZE - 1}), ',')
  parts[5] = table.concat(redis.call('ZRANGE', KEYS[3], 0, -1), ',')
end
local k = ARGV[1] .. redis.sha1hex(table.concat(parts, '\\30'))
return {{k, redis.call('GET', k)}}
"""

_local: TTLCache[tuple[str, str], str] = TTLCache(LOCAL_SIZE, 30.0)
_generation = [0]  # the embedded backend's store-wide generation
_scripts: dict[int, Any] = {}
_context_lock = threading.Lock()
_context_memo: dict[str, Any] = {"ids": None, "digest": ""}


@dataclass(frozen=True)
class Slot:
    """Where one partial's fragment is (or will be) cached: a Redis key, or the local key."""

    redis_key: str = ""
    local_key: tuple[str, str] | None = None


def ttl() -> int:
    """Seconds a fragment lives (FRAGMENT_TTL; 0 turns the cache off)."""
    try:
        return max(int(plugin_settings.FRAGMENT_TTL or 0), 0)
    except (TypeError, ValueError):
        return 0


def context_digest() -> str:
    """A digest of what serving answers with besides the shopper: the active model's
    version, the enabled rules, the live experiments, ENABLED. Recomputed only when one
    of those in-process objects is replaced (they are re-read every few seconds, and at
    once when the owner saves one), so it costs an identity check per request."""
    from personalization_plugin.experiments.bucketing import live_experiments
    from personalization_plugin.serving.placements import _active_model
    from personalization_plugin.serving.rules import all_rules

    model = _active_model()
    rules = all_rules()
    experiments = live_experiments()
    enabled = bool(plugin_settings.ENABLED)
    ids = (id(model), id(rules), id(experiments), enabled)
    memo = _context_memo
    if memo["ids"] == ids:
        return str(memo["digest"])
    version = str(getattr(model, "version", "")) if model is not None else ""
    text = repr((version, rules, sorted(experiments.items()), enabled))
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    with _context_lock:
        memo["ids"], memo["digest"] = ids, digest
    return digest


def request_digest(placement: str, query: list[tuple[str, list[str]]], language: str) -> str:
    """What the partial was asked: placement, every parameter (sorted), the language,
    and the serving context."""
    text = SEPARATOR.join(
        [placement, language, context_digest(), repr(sorted((k, sorted(v)) for k, v in query))]
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def lookup(subject: str | None, digest: str) -> tuple[str | None, Slot | None]:
    """The cached fragment for this shopper (None: not personalized) and request, and
    the slot to store it in on a miss. (None, None) when the cache is off. Never raises."""
    if ttl() <= 0:
        return None, None
    client = available()
    if client is not None:
        prefix = f"{cache.subject_key(subject)}:frag:" if subject else key("frag", "shared") + ":"
        # The real-time keys as `tracking.realtime.subject_key` names them, the keyed
        # hash computed once (it is most of this function's CPU).
        mine = key("%s", subject_keys.digest(subject or "", purpose="realtime"))
        try:
            found, html = _script(client)(
                keys=[mine % "ri", mine % "rv", mine % "cart", key("frag", "gen")],
                args=[prefix, digest, "1" if subject else ""],
            )
        except REDIS_ERRORS as exc:
            mark_down(exc)
        else:
            slot = Slot(redis_key=found.decode())
            return (serve(html.decode()) if html is not None else None), slot
    return _local_lookup(subject, digest)


def _script(client: Any) -> Any:
    """READ_LUA registered on this client: EVALSHA (the script is sent once, not per call)."""
    script = _scripts.get(id(client))
    if script is None or script.registered_client is not client:
        script = _scripts[id(client)] = client.register_script(READ_LUA)
    return script


def _local_lookup(subject: str | None, digest: str) -> tuple[str | None, Slot]:
    parts = [digest, str(_generation[0])]
    if subject:
        store = get_realtime()
        parts += [
            ",".join(store.recent_items(subject, RECENT_ITEMS_SIZE)),
            ",".join(store.recently_viewed(subject, RECENT_ITEMS_SIZE)),
            ",".join(store.cart(subject)),
        ]
    state = hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()
    slot = Slot(local_key=(subject or "", state))
    html = _local.get(slot.local_key)  # type: ignore[arg-type]
    return (serve(html) if html is not None else None), slot


def store(slot: Slot | None, html: str, recommendation_id: str) -> None:
    """Keep a freshly rendered fragment; its recommendation id is re-issued on each serve."""
    if slot is None:
        return
    seconds = ttl()
    if seconds <= 0:
        return
    body = html.replace(recommendation_id, RID_MARK) if recommendation_id else html
    if slot.redis_key:
        client = available()
        if client is None:
            return
        try:
            client.set(slot.redis_key, body, ex=seconds)
        except REDIS_ERRORS as exc:
            mark_down(exc)
        return
    if slot.local_key is not None:
        _local.ttl = float(seconds)
        _local.set(slot.local_key, body)


def serve(body: str) -> str:
    """A cached fragment with a fresh recommendation id (one per page view, as rendered)."""
    return body.replace(RID_MARK, uuid.uuid4().hex) if RID_MARK in body else body


def invalidate() -> None:
    """Every fragment, in every process, is rendered afresh on next request (a catalog
    change; `clear_caches()`). Redis down: the in-process ones only, and the Redis ones
    expire within FRAGMENT_TTL."""
    _generation[0] += 1
    _local.clear()
    client = available()
    if client is not None:
        try:
            client.incr(key("frag", "gen"))
        except REDIS_ERRORS as exc:
            mark_down(exc)


def erase_subjects(subjects: set[str]) -> int:
    """Drop these shoppers' in-process fragments (erasure); returns how many. Their Redis
    fragments are under their cached-list prefix, erased by `cache.erase_subjects`."""
    return _local.delete_where(lambda k: k[0] in subjects)


def clear() -> None:
    """Forget in-process fragments and the context memo (tests; settings changes)."""
    _local.clear()
    _generation[0] += 1
    _context_memo["ids"] = None
