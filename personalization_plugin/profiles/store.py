"""Where profiles and the segment-definition version live: Redis when configured, else
an in-process LRU. One round trip per request reads both (MGET).

Profiles are written back after each event is folded in (`apply`), so every process
sees the new state. A missing profile is rebuilt from stored events. The version counter
changes whenever a segment is saved or deleted, so every process recompiles at once.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.redis import REDIS_ERRORS, available, key, mark_down, mark_up
from personalization_plugin.core.ttl_cache import TTLCache
from personalization_plugin.profiles import profile as profiles

MAX_LOCAL = 50_000
_lock = threading.Lock()
_local: TTLCache[str, dict[str, Any]] = TTLCache(MAX_LOCAL, 3600.0)
_local_version = [0]


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


def _write(subject: str, raw: dict[str, Any]) -> None:
    client = available()
    if client is not None:
        try:
            client.set(
                profile_key(subject),
                json.dumps(raw, separators=(",", ":")),
                ex=int(plugin_settings.SEGMENT_PROFILE_TTL),
            )
            mark_up()
            return
        except REDIS_ERRORS as exc:
            mark_down(exc)
    _local_put(subject, raw)


def load(subject: str) -> tuple[dict[str, Any], str]:
    """(raw profile, segment version) for a subject; rebuilds and caches a missing profile."""
    client = available()
    if client is not None:
        try:
            cached, version = client.mget([profile_key(subject), _version_key()])
            mark_up()
            raw = _decode(cached)
            if raw is None:
                raw = profiles.build_from_db(subject)
                _write(subject, raw)
            return raw, _text(version)
        except REDIS_ERRORS as exc:
            mark_down(exc)
    raw = _local_get(subject)
    if raw is None:
        raw = profiles.build_from_db(subject)
        _local_put(subject, raw)
    return raw, str(_local_version[0])


def apply(subject: str, type: str, **fields: Any) -> None:
    """Fold a new event of `subject` into its cached profile (building it first if needed)."""
    raw, _ = load(subject)
    profiles.apply_event(raw, type, **fields)
    _write(subject, raw)


def apply_if_cached(subject: str, type: str, **fields: Any) -> bool:
    """Fold a new event into a cached profile; do nothing when none is cached.

    The intake path calls this for every event, so it must stay cheap: one GET (or a dict
    lookup without Redis), never a rebuild from the database. A profile built later from
    stored events includes this event once it is flushed. Returns whether one was updated.
    """
    client = available()
    if client is not None:
        try:
            raw = _decode(client.get(profile_key(subject)))
            mark_up()
        except REDIS_ERRORS as exc:
            mark_down(exc)
            raw = _local_get(subject)
    else:
        raw = _local_get(subject)
    if raw is None:
        return False
    profiles.apply_event(raw, type, **fields)
    _write(subject, raw)
    return True


def invalidate(subject: str) -> None:
    """Drop a cached profile; the next read rebuilds it from stored events."""
    forget({subject})


def forget(subjects: set[str]) -> int:
    """Erase cached profiles (an eraser for `privacy.erasure`); returns how many existed."""
    removed = sum(1 for subject in subjects if _local.pop(subject) is not None)
    client = available()
    if client is not None and subjects:
        try:
            removed += int(client.delete(*[profile_key(s) for s in subjects]))
        except REDIS_ERRORS as exc:
            mark_down(exc)
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
