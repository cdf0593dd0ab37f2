"""The one interface every event backend honours, and the batch write they share.

A backend buffers events and writes them to `models.Event` in batches. Writes use
`bulk_create(ignore_conflicts=True)` on the unique `event_id`, so a flush retried after
a crash never stores an event twice. Before writing, a batch is checked against two
short-lived ledgers: subjects erased meanwhile (their in-flight events are dropped) and
visitors merged into a customer on login (their events get the customer id).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from decimal import Decimal
from threading import Lock
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.events import EVENT_FIELD_NAMES, TrackedEvent
from personalization_plugin.tracking.dead_letters import write_isolating

if TYPE_CHECKING:
    from personalization_plugin.models import Event

ERASED_TTL_SECONDS = 3600  # longer than any flush takes
MERGED_TTL_SECONDS = 86400


class Ledger:
    """In-process record of recent erasures and login merges (see module docstring)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._erased: dict[str, float] = {}
        self._merged: dict[str, tuple[str, float]] = {}

    def clear(self) -> None:
        """Forget every entry (tests start each case with empty ledgers)."""
        with self._lock:
            self._erased.clear()
            self._merged.clear()

    def mark_erased(self, subjects: Iterable[str], at: float) -> None:
        """Remember that these subjects were erased at wall time `at`."""
        with self._lock:
            for subject in subjects:
                self._erased[subject] = at
                if subject_keys.is_visitor(subject):  # a merge record names the customer
                    self._merged.pop(subject_keys.ident(subject), None)
            horizon = time.time() - ERASED_TTL_SECONDS
            for subject in [s for s, t in self._erased.items() if t < horizon]:
                del self._erased[subject]

    def erased(self, subjects: Iterable[str]) -> dict[str, float]:
        """Erasure times of those subjects erased within the last ERASED_TTL_SECONDS."""
        horizon = time.time() - ERASED_TTL_SECONDS
        with self._lock:
            hits = {s: self._erased.get(s) for s in subjects}
        return {s: t for s, t in hits.items() if t is not None and t >= horizon}

    def record_merge(self, visitor_id: str, customer_id: str) -> None:
        with self._lock:
            self._merged[visitor_id] = (customer_id, time.monotonic() + MERGED_TTL_SECONDS)

    def merges(self, visitor_ids: Iterable[str]) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            found = {v: self._merged.get(v) for v in visitor_ids}
        return {v: hit[0] for v, hit in found.items() if hit and hit[1] > now}


ledger = Ledger()


class EventBackend(ABC):
    """Buffers events and writes them to the database in batches."""

    name = "base"

    @abstractmethod
    def submit(self, event: TrackedEvent) -> bool:
        """Buffer one validated event. Never blocks on the database except for a size flush.

        Returns False when the event went to a fallback buffer instead of this backend's own.
        """

    @abstractmethod
    def flush(self) -> int:
        """Write every buffered event to the database; returns how many were handled."""

    @abstractmethod
    def pending(self) -> int:
        """How many events wait in the buffer."""

    @abstractmethod
    def scrub(self, subjects: set[str]) -> int:
        """Drop buffered events of these subjects ("v:<id>", "c:<id>"); returns how many."""

    def mark_erased(self, subjects: set[str], at: float) -> None:
        """Drop events of these subjects that occurred up to `at` if a flush meets them later."""
        ledger.mark_erased(subjects, at)

    def record_merge(self, visitor_id: str, customer_id: str) -> None:
        ledger.record_merge(visitor_id, customer_id)

    def erased_subjects(self, subjects: set[str]) -> dict[str, float]:
        return ledger.erased(subjects)

    def merged_visitors(self, visitor_ids: set[str]) -> dict[str, str]:
        return ledger.merges(visitor_ids)

    def write(self, events: list[TrackedEvent]) -> int:
        """Apply the ledgers and bulk-insert; returns how many events were stored.

        Events the database refuses are dead-lettered (`tracking.dead_letters`), not
        counted; an outage is raised and nothing of the failing part is stored."""
        if not events:
            return 0
        # Merges first, so an erasure of the customer a visitor signed in as also drops
        # the visitor's buffered events that the merge would have attributed to them.
        anonymous = {e.visitor_id for e in events if not e.customer_id}
        merges = self.merged_visitors(anonymous) if anonymous else {}
        for event in events:
            if not event.customer_id and event.visitor_id in merges:
                event.customer_id = merges[event.visitor_id]
        subjects = set().union(*(event_subjects(e) for e in events))
        erased = self.erased_subjects(subjects)
        if erased:
            events = [e for e in events if not _was_erased(e, erased)]
        # One event the database refuses must not hold back the others: it is isolated
        # and dead-lettered, and the rest of the batch is stored.
        return write_isolating(events, write_events, self.name)


def event_subjects(event: TrackedEvent) -> set[str]:
    """Every subject key an event is stored under (its visitor, and customer if any)."""
    return event.subjects


def _was_erased(event: TrackedEvent, erased: dict[str, float]) -> bool:
    """Whether the event happened before its subject was erased (so it must not be stored)."""
    times = [erased[s] for s in event_subjects(event) if s in erased]
    if not times:
        return False
    try:
        occurred = parse_datetime(event.occurred_at)
    except (TypeError, ValueError):  # never validated: not worth keeping for an erased subject
        occurred = None
    return occurred is None or occurred.timestamp() <= max(times)


def to_model(event: TrackedEvent) -> Event:
    """The unsaved `Event` row of a validated event."""
    from personalization_plugin.models import Event

    occurred = parse_datetime(event.occurred_at)
    if occurred is None:  # build_event writes ISO 8601; anything else was never validated
        raise ValueError(
            f"Event {event.event_id}: occurred_at {event.occurred_at!r} is not ISO 8601."
        )
    # Every TrackedEvent field is an Event column of the same name (core.events is the one
    # schema); only the price and the time change type on the way in.
    columns = {name: getattr(event, name) for name in EVENT_FIELD_NAMES}
    columns["price"] = Decimal(event.price) if event.price else None
    columns["occurred_at"] = occurred
    return Event(**columns)


def write_events(events: list[TrackedEvent]) -> int:
    """Insert events, skipping any whose event_id is already stored. Returns len(events).

    All or nothing: one row the database refuses fails the whole call (see `write`).

    Multi-row INSERTs with the backend's own "ignore conflicts" SQL (the statement
    Django's bulk_create(ignore_conflicts=True) builds), without the ORM's per-field
    work: flushing is the ingest hot path.
    """
    from django.db import connections, router, transaction
    from django.db.models.constants import OnConflict

    from personalization_plugin.models import Event

    if not events:
        return 0
    alias = router.db_for_write(Event)
    connection = connections[alias]
    ops = connection.ops
    meta = Event._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    insert = f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(meta.db_table)} ({columns})"
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None) or ""
    row_sql = ["%s"] * len(fields)
    payload_field = meta.get_field("payload")
    stored_at = ops.adapt_datetimefield_value(timezone.now())
    rows = []
    for e in events:
        occurred = parse_datetime(e.occurred_at)
        values = {
            "event_id": e.event_id,
            "type": e.type,
            "visitor_id": e.visitor_id,
            "customer_id": e.customer_id,
            "product_id": e.product_id,
            "category_id": e.category_id,
            "session_id": e.session_id,
            "order_id": e.order_id,
            "query": e.query,
            "quantity": e.quantity,
            "price": ops.adapt_decimalfield_value(Decimal(e.price), 12, 2) if e.price else None,
            "currency": e.currency,
            "placement": e.placement,
            "model_version": e.model_version,
            "position": e.position,
            "payload": payload_field.get_db_prep_save(e.payload, connection),
            "occurred_at": ops.adapt_datetimefield_value(occurred),
            "stored_at": stored_at,
        }
        rows.append([values[f.attname] for f in fields])
    # A savepoint when called inside a transaction: a refused batch must roll back alone,
    # leaving the caller's transaction usable for the retry of its halves.
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg 3 pipelines executemany() with one prepared statement; a huge
            # multi-row statement would be re-parsed client-side on every batch.
            values_sql = ops.bulk_insert_sql(fields, [row_sql])  # type: ignore[list-item]
            cursor.executemany(f"{insert} {values_sql} {suffix}".strip(), rows)
            return len(events)
        # Elsewhere multi-row VALUES statements, as many rows each as the backend allows
        # (SQLite caps the number of variables per statement).
        step = max(1, ops.bulk_batch_size(fields, rows))
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            # django-stubs types the placeholder rows as strings; Django takes lists of them.
            values_sql = ops.bulk_insert_sql(fields, [row_sql] * len(chunk))  # type: ignore[list-item]
            cursor.execute(
                f"{insert} {values_sql} {suffix}".strip(), [v for row in chunk for v in row]
            )
    return len(events)
