"""The Redis backend: events go to a stream, flushers move them to the database.

`submit` XADDs the event JSON to `<prefix>:events` (in the same round trip as the
real-time state update when the caller passes `also`). `flush` reads with a consumer
group, writes a batch with `bulk_create(ignore_conflicts=True)` and only then XACKs and
XDELs it, so a flusher that dies mid-batch leaves its entries pending; the next flush
reclaims them (XAUTOCLAIM) once idle. If Redis is unreachable at submit time the event
goes to the in-process buffer instead, which every flush also drains.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import redis

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.events import TrackedEvent
from personalization_plugin.core.redis import (
    REDIS_ERRORS,
    get_redis,
    is_down,
    key,
    mark_down,
    mark_up,
)
from personalization_plugin.tracking import drops
from personalization_plugin.tracking.backends.base import (
    ERASED_TTL_SECONDS,
    MERGED_TTL_SECONDS,
    EventBackend,
    event_subjects,
)
from personalization_plugin.tracking.backends.local import LocalBackend
from personalization_plugin.tracking.dead_letters import dead_letter_entry

logger = logging.getLogger("personalization_plugin.tracking")

GROUP = "flushers"
DEFAULT_RECLAIM_IDLE_MS = 60_000
Entry = tuple[bytes, dict[bytes, bytes] | None]


class RedisStreamBackend(EventBackend):
    name = "redis"

    def __init__(self, url: str, fallback: LocalBackend) -> None:
        self.url = url
        self.fallback = fallback
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._group_ready = False

    @property
    def client(self) -> Any:  # redis-py's annotations don't know decode_responses=False
        return get_redis(self.url)

    @property
    def stream(self) -> str:
        return key("events")

    def submit(self, event: TrackedEvent, also: Callable[[Any], None] | None = None) -> bool:
        """XADD the event; `also(pipeline)` may queue more commands for the same round trip.

        Returns False when Redis was unreachable and the event went to the in-process
        buffer instead (so the caller knows `also` did not run).
        """
        if is_down(self.url):
            self.fallback.submit(event)
            return False
        try:
            pipe = self.client.pipeline(transaction=False)
            if also is not None:
                also(pipe)
            pipe.xadd(self.stream, {"e": event.to_json()})
            pipe.execute()
        except REDIS_ERRORS as exc:
            mark_down(exc, self.url)
            self.fallback.submit(event)
            return False
        mark_up(self.url)
        return True

    def queue(self, pipe: Any, event: TrackedEvent) -> None:
        """Queue the XADD of one event onto a caller's pipeline (see `api.batch`)."""
        pipe.xadd(self.stream, {"e": event.to_json()})

    def flush(self, reclaim_idle_ms: int = DEFAULT_RECLAIM_IDLE_MS) -> int:
        """Drain the fallback buffer, this consumer's pending entries, idle entries of
        crashed consumers, then everything new. Returns how many events were written."""
        written = self.fallback.flush() if self.fallback.pending() else 0
        drops.fold()
        self._ensure_group()
        written += self._drain_own_pending()
        written += self._reclaim(reclaim_idle_ms)
        while True:
            entries = self._read(">")
            if not entries:
                break
            written += self._process(entries)
        return written

    def pending(self) -> int:
        try:
            stream_len = int(self.client.xlen(self.stream))
        except REDIS_ERRORS:
            stream_len = 0
        return stream_len + self.fallback.pending()

    def scrub(self, subjects: set[str]) -> int:
        """XDEL (and XACK) every stream entry of these subjects; scans the stream."""
        removed = self.fallback.scrub(subjects)
        client = self.client
        start = "-"
        while True:
            chunk = client.xrange(self.stream, min=start, max="+", count=1000)
            if not chunk:
                break
            doomed = [eid for eid, fields in chunk if _subjects_of(fields) & subjects]
            if doomed:
                self._ensure_group()
                pipe = client.pipeline(transaction=False)
                pipe.xack(self.stream, GROUP, *doomed)
                pipe.xdel(self.stream, *doomed)
                pipe.execute()
                removed += len(doomed)
            if len(chunk) < 1000:
                break
            start = "(" + chunk[-1][0].decode()
        return removed

    def mark_erased(self, subjects: set[str], at: float) -> None:
        """Leave an hour-long tombstone (under a keyed hash, never the id itself) and drop
        the erased visitors' login-merge records, which name their customer."""
        super().mark_erased(subjects, at)
        pipe = self.client.pipeline(transaction=False)
        for subject in subjects:
            pipe.set(key("erased", ledger_name(subject)), repr(at), ex=ERASED_TTL_SECONDS)
            if subject_keys.is_visitor(subject):
                pipe.delete(*merge_record_names(subject_keys.ident(subject)))
        pipe.execute()

    def record_merge(self, visitor_id: str, customer_id: str) -> None:
        """Remember for a day, for every process, which customer a visitor signed in
        as. The name is a keyed hash of the visitor id and the value the customer id
        sealed under the hash key (`subjects.seal`): Redis holds neither id in clear."""
        super().record_merge(visitor_id, customer_id)
        name = key("merged", ledger_name(visitor_id))
        try:
            self.client.set(name, subject_keys.seal(customer_id, name), ex=MERGED_TTL_SECONDS)
        except REDIS_ERRORS as exc:
            mark_down(exc, self.url)

    def erased_subjects(self, subjects: set[str]) -> dict[str, float]:
        found = super().erased_subjects(subjects)
        ordered = sorted(subjects - found.keys())
        if ordered:  # under the current and every older hash key: a rotation forgets no one
            names = [(s, key("erased", d)) for s in ordered for d in ledger_names(s)]
            values = self.client.mget([n for _, n in names])
            for (subject, _), value in zip(names, values, strict=True):
                if value:
                    found[subject] = max(found.get(subject, 0.0), float(value))
        return found

    def merged_visitors(self, visitor_ids: set[str]) -> dict[str, str]:
        found = super().merged_visitors(visitor_ids)
        ordered = sorted(visitor_ids - found.keys())
        if ordered:
            names = [(v, n) for v in ordered for n in merge_record_names(v)]
            values = self.client.mget([n for _, n in names])
            for (visitor_id, name), value in zip(names, values, strict=True):
                customer_id = subject_keys.unseal(value, name) if value else None
                if customer_id and visitor_id not in found:
                    found[visitor_id] = customer_id
        return found

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def _read(self, position: str) -> list[Entry]:
        try:
            response = self.client.xreadgroup(
                GROUP, self.consumer, {self.stream: position}, count=self._batch_size()
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # the stream was deleted under us: recreate and retry
            self._ensure_group()
            return self._read(position)
        return list(response[0][1]) if response else []

    def _drain_own_pending(self) -> int:
        written, last = 0, "0"
        while True:
            entries = self._read(last)
            if not entries:
                return written
            written += self._process(entries)
            last = entries[-1][0].decode()

    def _reclaim(self, min_idle_ms: int) -> int:
        written, cursor = 0, "0-0"
        while True:
            response = self.client.xautoclaim(
                self.stream,
                GROUP,
                self.consumer,
                min_idle_ms,
                start_id=cursor,
                count=self._batch_size(),
            )
            cursor = response[0].decode() if isinstance(response[0], bytes) else response[0]
            claimed = response[1]
            if claimed:
                written += self._process(claimed)
            if cursor == "0-0":
                return written

    def _process(self, entries: list[Entry]) -> int:
        ids = [eid for eid, _ in entries]
        events: list[TrackedEvent] = []
        for eid, fields in entries:
            if not fields:  # deleted (e.g. erased) while pending
                continue
            try:
                events.append(TrackedEvent.from_json(fields[b"e"]))
            except (KeyError, TypeError, ValueError) as exc:
                dead_letter_entry(fields.get(b"e", fields), exc, self.name, entry_id=eid.decode())
        written = self.write(events)
        pipe = self.client.pipeline(transaction=False)
        pipe.xack(self.stream, GROUP, *ids)
        pipe.xdel(self.stream, *ids)
        pipe.execute()
        return written

    @staticmethod
    def _batch_size() -> int:
        return max(1, int(plugin_settings.BATCH_SIZE))


def ledger_name(subject: str) -> str:
    """A ledger key's name for a subject or visitor id: a keyed hash, not the id."""
    return subject_keys.digest(subject, purpose="ledger")


def ledger_names(subject: str) -> list[str]:
    """`ledger_name` under the current and every older hash key (what a lookup tries)."""
    return subject_keys.digests(subject, purpose="ledger")


def merge_record_names(visitor_id: str) -> list[str]:
    """Every name a visitor's login-merge record may have (current hash key first)."""
    return [key("merged", d) for d in ledger_names(visitor_id)]


def _subjects_of(fields: dict[bytes, bytes] | None) -> set[str]:
    if not fields or b"e" not in fields:
        return set()
    try:
        data = json.loads(fields[b"e"])
    except ValueError:
        return set()
    return event_subjects(
        TrackedEvent(
            type=data.get("type", ""),
            visitor_id=data.get("visitor_id", ""),
            customer_id=data.get("customer_id", ""),
        )
    )
