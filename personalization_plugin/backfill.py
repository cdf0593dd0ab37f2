"""Backfill: events from a store's past orders or from a CSV file, stored idempotently.

A store that installs the plugin has months of orders the engine can learn from on day
one. `import_orders` reads them through the adapter's `iter_orders(since)`;
`import_csv` reads the generic CSV format (`timestamp,user,item,event[,quantity,price,
session]` under a header naming the columns), through `core.csv_events`, the reader the
training data loader uses too. Every event gets an id derived from what it records
(order id and line, or the CSV row and how often that exact row occurred before), and
rows are inserted with
`bulk_create(ignore_conflicts=True)` on the unique `event_id`: running an import again
stores nothing new.

History bypasses the live intake (no real-time state, no product check: products may
have been deleted since) but not privacy: shoppers who opted out are skipped, and with
CONSENT_MODE="required" only shoppers with recorded consent are imported.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from personalization_plugin.adapters import PastOrder, get_adapter
from personalization_plugin.core import csv_events
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.events import EventType, TrackedEvent, build_event
from personalization_plugin.core.exceptions import InvalidEvent, MalformedRow
from personalization_plugin.tracking.identity import Visitor

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What an import did: rows or order lines read, events newly stored, skips."""

    read: int = 0
    stored: int = 0
    already_stored: int = 0
    not_consented: int = 0
    erased: int = 0
    invalid: int = 0
    errors: list[str] = field(default_factory=list)


def event_id_for(*parts: object) -> str:
    """A deterministic 32-character event id (the width of `Event.event_id`)."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# ---- past orders ---------------------------------------------------------------------


def order_events(order: PastOrder) -> list[TrackedEvent]:
    """One "purchase" event per order line, with ids stable across runs."""
    customer = str(order.customer_id or "")
    visitor = f"cust-{customer}" if customer else f"order-{order.order_id}"
    return [
        build_event(
            EventType.PURCHASE,
            visitor_id=visitor,
            customer_id=customer,
            order_id=order.order_id,
            product_id=line.product_id,
            quantity=line.quantity,
            price=line.price,
            currency=order.currency,
            occurred_at=order.placed_at,
            payload={"source": "import"},
            event_id=event_id_for("order", order.order_id, number, line.product_id),
        )
        for number, line in enumerate(order.lines, start=1)
    ]


def import_orders(
    orders: Iterable[PastOrder] | None = None,
    *,
    since: datetime | None = None,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> ImportReport:
    """Store purchase events for past orders (default: the adapter's `iter_orders(since)`).

    An order with an invalid line is skipped whole and named in `report.errors`.
    """
    if orders is None:
        orders = get_adapter().iter_orders(since)  # type: ignore[attr-defined]
    report = ImportReport()
    batch: list[TrackedEvent] = []
    for order in orders:
        try:
            events = order_events(order)
        except InvalidEvent as exc:
            report.invalid += 1
            report.errors.append(f"Order {order.order_id}: {exc}")
            continue
        report.read += len(events)
        batch.extend(events)
        if len(batch) >= batch_size:
            _store(batch, report)
            batch = []
        if progress:
            progress(1)
    _store(batch, report)
    return report


# ---- CSV -----------------------------------------------------------------------------


def _row_event(row: csv_events.CsvEvent, occurrence: int, customers: bool) -> TrackedEvent:
    try:
        return build_event(
            row.type,
            visitor_id=f"cust-{row.user}" if customers else row.user,
            customer_id=row.user if customers else "",
            product_id=row.item,
            quantity=row.quantity,
            price=row.price,
            session_id=row.session,
            order_id=(row.session or f"csv-{row.user}-{row.timestamp_text}")
            if row.type == EventType.PURCHASE
            else None,
            occurred_at=row.occurred_at,
            payload={"source": "import"},
            event_id=event_id_for("csv", row.key, occurrence),
        )
    except InvalidEvent as exc:
        raise MalformedRow(row.line, str(exc).rstrip("."), csv_events.EXPECTED_ROW) from None


def read_csv_events(
    path: str | Path, *, skip_invalid: bool = False, customers: bool = False
) -> Iterator[tuple[int, TrackedEvent | MalformedRow]]:
    """(line number, event) per data row; a malformed row raises MalformedRow, or is
    yielded as the error when `skip_invalid`. A bad header raises DatasetFormatError."""
    seen: Counter[str] = Counter()
    for row in csv_events.iter_rows(path):
        try:
            if isinstance(row, MalformedRow):
                raise row
            seen[row.key] += 1
            yield row.line, _row_event(row, seen[row.key], customers)
        except MalformedRow as exc:
            if not skip_invalid:
                raise
            yield exc.line, exc


def import_csv(
    path: str | Path,
    *,
    skip_invalid: bool = False,
    customers: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> ImportReport:
    """Store the events of a CSV file in the generic format.

    The whole file is checked before anything is stored, so without `skip_invalid` a
    malformed row raises MalformedRow (naming its line) and stores nothing. With it,
    malformed rows are counted in `report.invalid` and listed in `report.errors`.
    `customers=True` treats `user` as a customer id rather than a visitor id.
    """
    if not skip_invalid:
        for _ in read_csv_events(path, customers=customers):
            pass
    report = ImportReport()
    batch: list[TrackedEvent] = []
    for _, item in read_csv_events(path, skip_invalid=skip_invalid, customers=customers):
        if progress:
            progress(1)
        if isinstance(item, MalformedRow):
            report.invalid += 1
            if len(report.errors) < 20:
                report.errors.append(str(item))
            continue
        report.read += 1
        batch.append(item)
        if len(batch) >= batch_size:
            _store(batch, report)
            batch = []
    _store(batch, report)
    return report


def count_rows(path: str | Path) -> int:
    """Lines in a file (for the progress bar's total), read in large binary blocks."""
    with Path(path).open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


# ---- storing -------------------------------------------------------------------------


def _not_erased(events: list[TrackedEvent]) -> list[TrackedEvent]:
    """Drop the history of shoppers who were erased: erasure must survive a re-import."""
    from personalization_plugin.privacy.erasure import erased_subjects

    gone = erased_subjects(set().union(*(e.subjects for e in events)))
    if not gone:
        return events
    return [e for e in events if not e.subjects & gone]


def _consented(events: list[TrackedEvent]) -> list[TrackedEvent]:
    """Events of shoppers who may be tracked, by their recorded choice (one query)."""
    from personalization_plugin.models import PrivacyChoice

    subjects = set().union(*(e.subjects for e in events))
    choices = dict(
        PrivacyChoice.objects.filter(subject__in=subjects).values_list("subject", "consent")
    )

    def allowed(event: TrackedEvent) -> bool:
        customer = subject_keys.customer(event.customer_id) if event.customer_id else ""
        consent = choices.get(customer) or choices.get(subject_keys.visitor(event.visitor_id))
        consent = consent or "unknown"
        return Visitor(visitor_id=event.visitor_id, consent=consent).can_track

    return [e for e in events if allowed(e)]


def _store(events: list[TrackedEvent], report: ImportReport) -> None:
    from personalization_plugin.models import Event
    from personalization_plugin.tracking.backends.base import write_events

    if not events:
        return
    allowed = _not_erased(events)
    report.erased += len(events) - len(allowed)
    kept = _consented(allowed)
    report.not_consented += len(allowed) - len(kept)
    ids = [e.event_id for e in kept]
    existing = set(Event.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    fresh = [e for e in kept if e.event_id not in existing]
    # Two equal events in one batch (same order line twice) would count twice: dedupe here.
    unique = list({e.event_id: e for e in fresh}.values())
    write_events(unique)
    report.stored += len(unique)
    report.already_stored += len(kept) - len(unique)
