"""Where profiles and the segment-definition version live: Redis when configured, else
an in-process LRU. One round trip per request reads the profile, the version and the
shopper's queued profile events.

The write path never reads a profile: `track()` appends each activity event to a short
per-shopper queue in the same Redis script as the rest of the real-time state
(`tracking.realtime.profile_queue_key`), an atomic append, so concurrent events of one
shopper are never lost to a read-modify-write race. Reading folds the queued events into
the cached profile and writes it back with a compare-and-set on the profile's
generation, trimming exactly the events it folded; a concurrent reader that lost the
race just uses its own (equal) result. A missing profile is rebuilt from stored events
*plus* the queued events not stored yet, told apart by event id, so a rebuild while
events wait in the buffer misses nothing and counts nothing twice.

The version counter changes whenever a segment is saved or deleted, so every process
recompiles at once.
"""

from __future__ import annotations

import json
import threading
import zlib
from typing import Any

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.redis import REDIS_ERRORS, available, key, mark_down, mark_up
from personalization_plugin.core.ttl_cache import ErasureAwareTTLCache, TTLCache
from personalization_plugin.profiles import profile as profiles
from personalization_plugin.tracking import erasure_generation
from personalization_plugin.tracking.realtime import get_local_realtime, profile_queue_key

MAX_LOCAL = 50_000
_lock = threading.Lock()
_stripes = [threading.Lock() for _ in range(64)]
_local: TTLCache[str, dict[str, Any]] = ErasureAwareTTLCache(
    MAX_LOCAL, 3600.0, erasure_generation.current
)
_local_version = [0]

# KEYS: profile, queue. ARGV: expected generation ("" = the profile must not exist),
# new profile JSON, ttl, how many queued events were folded, the last one folded.
_WRITE_BACK_LUA = """
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if current then return 0 end
else
  if not current then return 0 end
  if tostring(cjson.decode(current)['g']) ~= ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
local n = tonumber(ARGV[4])
if n > 0 then
  local head = redis.call('LRANGE', KEYS[2], 0, n - 1)
  for i = #head, 1, -1 do
    if head[i] == ARGV[5] then
      redis.call('LTRIM', KEYS[2], i, -1)
      break
    end
  end
end
return 1
"""


def profile_key(subject: str) -> str:
    """A profile's Redis key; the subject goes in as a keyed hash, never in clear."""
    return key("seg", "p", subject_keys.digest(subject, purpose="profile"))


def _version_key() -> str:
    return key("seg", "version")


def _local_get(subject: str) -> dict[str, Any] | None:
    return _local.get(subject)


def _local_put(subject: str, raw: dict[str, Any]) -> None:
    _local.ttl = float(plugin_settings.SEGMENT_PROFILE_TTL)
    _local.set(subject, raw)


def _text(version: Any) -> str:
    """A version counter as Redis returns it (bytes, or None before the first bump)."""
    if version is None:
        return "0"
    return version.decode() if isinstance(version, bytes) else str(version)


def _decode(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    raw = json.loads(value)
    return raw if raw.get("f") == profiles.FORMAT else None


def _fold_queue(subject: str, raw: dict[str, Any] | None, queued: list[dict[str, Any]]) -> Any:
    """The cached profile with the queued events folded in, or one rebuilt from stored
    events and the queued ones not stored yet."""
    if raw is None:
        return profiles.build_from_db(subject, pending=queued)
    for entry in sorted(queued, key=lambda e: float(e.get("ts") or 0.0)):
        profiles.apply_entry(raw, entry)
    return raw


def _load_redis(client: Any, subject: str) -> tuple[dict[str, Any], str]:
    name, queue = profile_key(subject), profile_queue_key(subject)
    pipe = client.pipeline(transaction=False)
    pipe.get(name)
    pipe.get(_version_key())
    pipe.lrange(queue, 0, -1)
    cached, version, queued_raw = pipe.execute()
    raw = _decode(cached)
    if raw is not None and not queued_raw:
        return raw, _text(version)
    expected = "" if raw is None else str(raw.get("g", "nil"))
    queued = [json.loads(entry) for entry in queued_raw]
    raw = _fold_queue(subject, raw, queued)
    raw["g"] = int(raw.get("g", 0)) + 1
    client.eval(
        _WRITE_BACK_LUA,
        2,
        name,
        queue,
        expected,
        json.dumps(raw, separators=(",", ":")),
        int(plugin_settings.SEGMENT_PROFILE_TTL),
        len(queued_raw),
        queued_raw[-1] if queued_raw else "",
    )
    return raw, _text(version)


def _load_local(subject: str) -> dict[str, Any]:
    """The in-process profile; one lock per stripe of subjects makes get-fold-put atomic."""
    realtime = get_local_realtime()
    with _stripes[zlib.crc32(subject.encode()) % len(_stripes)]:
        raw = _local.get(subject)
        queued = realtime.profile_events(subject)
        if raw is not None and not queued:
            return raw
        raw = _fold_queue(subject, raw, queued)
        _local_put(subject, raw)
        realtime.drop_profile_events(subject, len(queued))
        return raw


def load(subject: str) -> tuple[dict[str, Any], str]:
    """(raw profile, segment version) for a subject, current to the last tracked event."""
    client = available()
    if client is not None:
        try:
            result = _load_redis(client, subject)
            mark_up()
            return result
        except REDIS_ERRORS as exc:
            mark_down(exc)
    return _load_local(subject), str(_local_version[0])


def invalidate(subjects: set[str]) -> int:
    """Drop cached profiles (queued events stay); the next read rebuilds them from stored
    events and the queue. Returns how many existed."""
    removed = sum(1 for subject in subjects if _local.pop(subject) is not None)
    client = available()
    if client is not None and subjects:
        try:
            removed += int(client.delete(*[profile_key(s) for s in subjects]))
        except REDIS_ERRORS as exc:
            mark_down(exc)
    return removed


def forget(subjects: set[str]) -> int:
    """Erase cached profiles and queued profile events (an eraser for `privacy.erasure`);
    returns how many profiles existed. Raises when Redis cannot be reached, so the
    erasure reports itself incomplete instead of leaving a profile behind."""
    removed = sum(1 for subject in subjects if _local.pop(subject) is not None)
    local = get_local_realtime()
    for subject in subjects:
        local.drop_profile_events(subject, None)
    if plugin_settings.REDIS_URL and subjects:
        from personalization_plugin.core.redis import get_redis

        client = get_redis()
        names = [profile_key(s) for s in sorted(subjects)]
        pipe = client.pipeline(transaction=False)
        pipe.delete(*names)
        pipe.delete(*[profile_queue_key(s) for s in sorted(subjects)])
        removed += int(pipe.execute()[0])
    return removed


def version() -> str:
    """The current segment-definition version (changes when any segment changes)."""
    client = available()
    if client is not None:
        try:
            return _text(client.get(_version_key()))
        except REDIS_ERRORS as exc:
            mark_down(exc)
    return str(_local_version[0])


def bump_version() -> None:
    with _lock:
        _local_version[0] += 1
    client = available()
    if client is not None:
        try:
            client.incr(_version_key())
        except REDIS_ERRORS as exc:
            mark_down(exc)


def clear_local() -> None:
    """Drop every in-process profile (tests)."""
    _local.clear()
