"""From stored events to the user x item matrix every model learns from.

Events arrive as an `EventLog`: parallel numpy arrays, one element per event, read from
the database in chunks (`load_events`) or from a CSV file (`engine.datasets`). The
matrix is built with vectorised numpy and a COO -> CSR conversion, never a Python loop
over users or items:

- each event type has a weight (`EVENT_WEIGHTS`; types without a weight are ignored),
- weights decay with age (`HALF_LIFE_DAYS`),
- events are de-duplicated by `event_id` (a retried flush never counts twice),
- a (subject, item) pair's summed weight saturates with `log1p`, so viewing a product
  twenty times is not worth twenty purchases,
- products in SENSITIVE_CATEGORIES are never learned.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from django.db.models import Case, CharField, FloatField, Func, Q, Value, When
from django.db.models.functions import Cast, Concat

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.events import INTERACTION_EVENTS

PRODUCT_EVENT_TYPES = tuple(str(e) for e in INTERACTION_EVENTS)
SECONDS_PER_DAY = 86400.0
SESSION_GAP_SECONDS = 30 * 60.0
ORDER_WINDOW_SECONDS = 24 * 3600.0


@dataclass
class EventLog:
    """Events as parallel arrays (all of the same length).

    `timestamp` is unix seconds; `price` is NaN when unknown; string columns hold ""
    when the event had no value for them.
    """

    subject: np.ndarray
    item: np.ndarray
    type: np.ndarray
    timestamp: np.ndarray
    session: np.ndarray
    order: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    event_id: np.ndarray

    def __len__(self) -> int:
        return int(self.subject.shape[0])

    def select(self, mask: np.ndarray) -> EventLog:
        """The events where `mask` (boolean or index array) selects them."""
        return EventLog(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    @classmethod
    def from_columns(
        cls,
        *,
        subject: Iterable[str],
        item: Iterable[str],
        type: Iterable[str],
        timestamp: Iterable[float],
        session: Iterable[str] | None = None,
        order: Iterable[str] | None = None,
        quantity: Iterable[int] | None = None,
        price: Iterable[float] | None = None,
        event_id: Iterable[str] | None = None,
    ) -> EventLog:
        subj = np.asarray(list(subject), dtype=str)
        n = subj.shape[0]

        def text(values: Iterable[str] | None) -> np.ndarray:
            return (
                np.full(n, "", dtype="<U1")
                if values is None
                else np.asarray(list(values), dtype=str)
            )

        return cls(
            subject=subj,
            item=np.asarray(list(item), dtype=str),
            type=np.asarray(list(type), dtype=str),
            timestamp=np.asarray(list(timestamp), dtype=np.float64),
            session=text(session),
            order=text(order),
            quantity=np.ones(n, np.int32)
            if quantity is None
            else np.asarray(list(quantity), np.int32),
            price=np.full(n, np.nan) if price is None else np.asarray(list(price), np.float64),
            event_id=text(event_id),
        )

    @classmethod
    def concat(cls, logs: list[EventLog]) -> EventLog:
        if not logs:
            return cls.from_columns(subject=[], item=[], type=[], timestamp=[])
        return cls(
            **{f.name: np.concatenate([getattr(x, f.name) for x in logs]) for f in fields(cls)}
        )


def load_events(chunk_size: int = 50_000, since: datetime | None = None) -> EventLog:
    """Every stored product event, oldest first, read column-wise in chunks.

    The database does the per-row work (the subject key, the epoch seconds, the price
    as a float), and rows come through a chunked (server-side on PostgreSQL) cursor
    straight into numpy columns: no Django model or converter runs per row, and memory
    holds one chunk of tuples at a time. `event_id` is left empty: the table's unique
    constraint already guarantees what `deduplicate` checks for CSV input.
    """
    from django.db import connection

    sql, params = event_query(since)
    logs: list[EventLog] = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            logs.append(_rows_to_log(rows))
    return EventLog.concat(logs)


class Epoch(Func):
    """Unix seconds (float) of a datetime column, computed by the database."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def,override]
        if connection.vendor == "postgresql":
            return self.as_sql_template(compiler, connection, "EXTRACT(EPOCH FROM %(expressions)s)")
        if connection.vendor == "sqlite":
            return self.as_sql_template(
                compiler, connection, "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
            )
        if connection.vendor == "mysql":
            return self.as_sql_template(compiler, connection, "UNIX_TIMESTAMP(%(expressions)s)")
        raise NotImplementedError(
            f"Reading events for training is not implemented for {connection.vendor}; "
            "use PostgreSQL, SQLite or MySQL."
        )

    def as_sql_template(self, compiler, connection, template):  # type: ignore[no-untyped-def]
        return super().as_sql(compiler, connection, template=template)


def event_query(since: datetime | None = None) -> tuple[str, tuple]:
    """SQL and parameters of the training read: (subject, product, type, epoch seconds,
    session, order, quantity, price) per product event, oldest first."""
    from personalization_plugin.models import Event

    qs = Event.objects.filter(type__in=PRODUCT_EVENT_TYPES).exclude(product_id="")
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    rows = qs.annotate(
        subject_key=Case(
            When(
                ~Q(customer_id=""),
                then=Concat(Value(subject_keys.CUSTOMER + ":"), "customer_id"),
            ),
            default=Concat(Value(subject_keys.VISITOR + ":"), "visitor_id"),
            output_field=CharField(),
        ),
        epoch=Epoch("occurred_at"),
        price_f=Cast("price", FloatField()),
    ).values_list(
        "subject_key",
        "product_id",
        "type",
        "epoch",
        "session_id",
        "order_id",
        "quantity",
        "price_f",
    )
    return rows.order_by("occurred_at", "id").query.sql_with_params()


def _rows_to_log(rows: list[tuple]) -> EventLog:
    subject, item, typ, when, sess, order, qty, price = zip(*rows, strict=True)
    n = len(rows)
    return EventLog(
        subject=np.asarray(subject, dtype=str),
        item=np.asarray(item, dtype=str),
        type=np.asarray(typ, dtype=str),
        timestamp=np.asarray(when, dtype=np.float64),
        session=np.asarray(sess, dtype=str),
        order=np.asarray(order, dtype=str),
        quantity=np.asarray(qty, dtype=np.int32),
        price=np.array(price, dtype=np.float64),  # None (no price) becomes NaN
        event_id=np.full(n, "", dtype="<U1"),
    )


def deduplicate(log: EventLog) -> EventLog:
    """Drop repeated events that share a non-empty event_id (the first one wins)."""
    has_id = log.event_id != ""
    if not has_id.any():
        return log
    ids = log.event_id[has_id]
    _, first = np.unique(ids, return_index=True)
    keep = ~has_id
    keep[np.flatnonzero(has_id)[first]] = True
    return log.select(keep)


def event_weights(
    log: EventLog,
    weights: Mapping[str, float],
    half_life_days: float | None,
    now: float | None = None,
) -> np.ndarray:
    """Per-event weight: the type's weight times 0.5 ** (age / half-life)."""
    w = np.zeros(len(log), dtype=np.float64)
    for name, value in weights.items():
        w[log.type == name] = float(value)
    if half_life_days:
        now = time.time() if now is None else now
        age_days = np.maximum(now - log.timestamp, 0.0) / SECONDS_PER_DAY
        w *= np.exp2(-age_days / float(half_life_days))
    return w


@dataclass
class Interactions:
    """The learned-from matrix with its id mappings.

    `matrix[u, i]` is log1p of subject u's summed, decayed event weight for item i
    (pairs whose sum is not positive are absent). `log` holds the kept events and
    `user_index` / `item_index` their row / column, for co-occurrence counting.
    """

    matrix: sp.csr_matrix
    subject_ids: np.ndarray
    item_ids: np.ndarray
    log: EventLog
    user_index: np.ndarray
    item_index: np.ndarray
    weights: np.ndarray
    session_key: np.ndarray  # int64 per event: its session, else subject + 30-minute window
    order_key: np.ndarray  # int64 per event: its order, else subject + one-day window

    @property
    def n_users(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[1])


def build_interactions(
    log: EventLog,
    weights: Mapping[str, float],
    half_life_days: float | None = None,
    *,
    now: float | None = None,
    exclude_items: Collection[str] = (),
    extra_items: Iterable[str] = (),
    item_ids: np.ndarray | None = None,
) -> Interactions:
    """Build the user x item CSR matrix from events.

    `extra_items` adds columns for products with no events (new catalog items), and
    `item_ids` fixes the column order (events on other items are dropped), which is how
    an evaluation maps its test events onto the training columns.
    """
    log = deduplicate(log)
    w = event_weights(log, weights, half_life_days, now)
    keep = w != 0
    if exclude_items:
        keep &= ~np.isin(log.item, np.asarray(list(exclude_items), dtype=str))
    if item_ids is not None:
        keep &= np.isin(log.item, item_ids)
    if not keep.all():  # copying every string column is the costliest step: skip if we can
        log, w = log.select(keep), w[keep]

    subject_ids, user_index = fast_unique(log.subject)
    extra = np.asarray(list(extra_items), dtype=str)
    if item_ids is None and extra.size == 0:
        item_ids, item_index = fast_unique(log.item)
    else:
        if item_ids is None:
            excluded = np.asarray(list(exclude_items), dtype=str)
            if excluded.size:
                extra = extra[~np.isin(extra, excluded)]
            item_ids = np.unique(np.concatenate([log.item, extra]))
        item_index = np.searchsorted(item_ids, log.item)
    shape = (subject_ids.shape[0], item_ids.shape[0])
    summed = sp.coo_matrix((w, (user_index, item_index)), shape=shape).tocsr()
    summed.sum_duplicates()
    summed.data = np.log1p(np.maximum(summed.data, 0.0))
    summed.eliminate_zeros()
    return Interactions(
        matrix=summed.astype(np.float32),
        subject_ids=subject_ids,
        item_ids=np.asarray(item_ids, dtype=str),
        log=log,
        user_index=user_index.astype(np.int64),
        item_index=item_index.astype(np.int64),
        weights=w,
        session_key=group_keys(log.session, user_index, log.timestamp, SESSION_GAP_SECONDS),
        order_key=group_keys(log.order, user_index, log.timestamp, ORDER_WINDOW_SECONDS),
    )


def group_keys(
    named: np.ndarray, user_index: np.ndarray, timestamps: np.ndarray, window: float
) -> np.ndarray:
    """Integer group per event: its named group (session / order id) when it has one,
    else its subject within a fixed time window. Integers keep grouping fast."""
    has_name = named != ""
    if has_name.all():
        return fast_unique(named)[1].astype(np.int64)
    buckets = np.floor(timestamps / window).astype(np.int64)
    buckets -= buckets.min() if buckets.size else 0
    fallback = user_index.astype(np.int64) * (int(buckets.max(initial=0)) + 1) + buckets
    if not has_name.any():
        return fallback
    codes = fast_unique(named[has_name])[1].astype(np.int64)
    keys = fallback + int(codes.max()) + 1
    keys[has_name] = codes
    return keys


def fast_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(values, return_inverse=True)` for string arrays, several times faster.

    Sorting a million strings dominates training, so strings are hashed to uint64
    (vectorised over their characters), the hashes are de-duplicated, and the result is
    verified exactly; on a hash collision it falls back to the exact sort.
    """
    values = np.asarray(values)
    if values.dtype.kind != "U" or values.size == 0:
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.ravel()
    codes = np.ascontiguousarray(values).view(np.uint32).reshape(values.shape[0], -1)
    used = codes.any(axis=0)  # fixed-width arrays are often padded far beyond their longest string
    columns = np.ascontiguousarray(codes[:, used].T)
    hashed = np.zeros(values.shape[0], dtype=np.uint64)
    for column in columns:
        hashed *= np.uint64(1_000_003)
        hashed += column
    _, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
    representatives = values[first]
    if not np.array_equal(representatives[inverse], values):
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.ravel()
    order = np.argsort(representatives, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return representatives[order], rank[inverse.ravel()]
