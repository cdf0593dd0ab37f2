"""Dead letters: events the database refused, kept aside so that they stop nothing else.

Validation (`core.events.storable`) refuses what no database can store, but a flush must
not depend on validation being perfect: an event already buffered by an older version,
a field type a newer database rejects, a stream entry written by hand. So a batch that
fails is written again in halves, down to single rows; a single row that still fails for
a reason of its own (bad data, not a database outage) becomes a `DeadLetterEvent` with
the database's reason, and every other row is stored. Outages (a lost connection, a
locked or missing table) are raised unchanged: the batch stays buffered and is retried.

Dead letters are shopper data: `erase_dead_letters` is registered as an eraser and
`export_dead_letters` is part of the shopper's export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import DataError, IntegrityError
from django.db.models import Q

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.events import EVENT_FIELD_NAMES, MAX_ID_LENGTH, TrackedEvent

logger = logging.getLogger("personalization_plugin.tracking")

# Errors that say "this row cannot be stored" rather than "the database cannot be reached":
# the driver cannot encode a value (UnicodeEncodeError is a ValueError), the database
# refuses it (DataError, IntegrityError), or the entry's values have the wrong types
# (a Decimal's InvalidOperation is an ArithmeticError).
BAD_ROW_ERRORS: tuple[type[BaseException], ...] = (
    DataError,
    IntegrityError,
    ValueError,
    TypeError,
    ArithmeticError,
    AttributeError,
    KeyError,
)
MAX_REASON_LENGTH = 500

_lock = threading.Lock()
_recorded = 0


def recorded() -> int:
    """How many dead letters this process has written (flush and worker output report it)."""
    with _lock:
        return _recorded


def write_isolating(
    events: list[TrackedEvent], write: Callable[[list[TrackedEvent]], int], backend: str
) -> int:
    """`write(events)`, isolating the rows that fail: returns how many were stored.

    A failing batch is split in halves until the failing rows stand alone; each of those
    is dead-lettered. Raises whatever `write` raises that is not a bad-row error (an
    outage), after storing nothing more.
    """
    if not events:
        return 0
    try:
        return write(events)
    except BAD_ROW_ERRORS as exc:
        if len(events) == 1:
            dead_letter(events[0], exc, backend)
            return 0
    middle = len(events) // 2
    return write_isolating(events[:middle], write, backend) + write_isolating(
        events[middle:], write, backend
    )


def dead_letter(event: TrackedEvent, error: BaseException, backend: str) -> None:
    """Keep a refused event with the reason it was refused."""
    raw = json.dumps({name: getattr(event, name, None) for name in EVENT_FIELD_NAMES}, default=str)
    _store(
        raw,
        reason=reason_of(error),
        backend=backend,
        event_id=str(event.event_id),
        type=str(event.type),
        visitor_id=str(event.visitor_id or ""),
        customer_id=str(event.customer_id or ""),
    )


def dead_letter_entry(entry: Any, error: BaseException, backend: str, entry_id: str = "") -> None:
    """Keep a buffered entry that could not even be read as an event (e.g. not JSON).

    `entry_id` (the stream entry's id) tells identical entries apart, so two copies of the
    same garbage are two dead letters, and a retried flush still makes only one of each."""
    if isinstance(entry, bytes):
        text = entry.decode("utf-8", "backslashreplace")
    else:
        text = entry if isinstance(entry, str) else repr(entry)
    ids: dict[str, Any] = {}
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            ids = data
    except ValueError:
        pass
    _store(
        text,
        identity=entry_id,
        reason=f"Unreadable entry: {reason_of(error)}",
        backend=backend,
        event_id=str(ids.get("event_id") or ""),
        type=str(ids.get("type") or ""),
        visitor_id=str(ids.get("visitor_id") or ""),
        customer_id=str(ids.get("customer_id") or ""),
    )


def reason_of(error: BaseException) -> str:
    """The database's reason, first line only, in storable text."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return ascii_text(f"{type(error).__name__}: {message}")[:MAX_REASON_LENGTH]


def ascii_text(text: str) -> str:
    """`text` with every non-ASCII character and NUL escaped: storable by any database."""
    return text.encode("ascii", "backslashreplace").decode("ascii").replace("\x00", "\\x00")


def _column(text: str, length: int) -> str:
    """An id for a column: unchanged if storable (so erasure finds it), else escaped."""
    cleaned = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return cleaned[:length]


def _store(raw: str, *, reason: str, backend: str, identity: str = "", **columns: str) -> None:
    from personalization_plugin.models import DeadLetterEvent

    global _recorded
    safe = ascii_text(raw)
    fingerprint = hashlib.sha256(f"{ascii_text(identity)}\n{safe}".encode("ascii")).hexdigest()
    DeadLetterEvent.objects.bulk_create(
        [
            DeadLetterEvent(
                fingerprint=fingerprint,
                raw=safe,
                reason=reason,
                backend=backend[:16],
                event_id=ascii_text(columns["event_id"])[:64],
                type=ascii_text(columns["type"])[:32],
                visitor_id=_column(columns["visitor_id"], MAX_ID_LENGTH),
                customer_id=_column(columns["customer_id"], MAX_ID_LENGTH),
            )
        ],
        ignore_conflicts=True,
    )
    with _lock:
        _recorded += 1
    # The reason only: the entry itself may hold a shopper's id and whatever they typed.
    logger.error("An event the database refused was dead-lettered (%s).", reason)


def _of_subjects(subjects: set[str]) -> Q:
    visitors = subject_keys.visitor_ids(subjects)
    customers = subject_keys.customer_ids(subjects)
    return Q(visitor_id__in=visitors) | Q(customer_id__in=customers)


def erase_dead_letters(subjects: set[str]) -> int:
    """Eraser: delete the dead letters of these subjects; returns how many."""
    from personalization_plugin.models import DeadLetterEvent

    if not subjects:
        return 0
    return int(DeadLetterEvent.objects.filter(_of_subjects(subjects)).delete()[0])


def export_dead_letters(subjects: set[str]) -> list[dict[str, Any]]:
    """The dead letters of these subjects, oldest first, for the shopper's export."""
    from personalization_plugin.models import DeadLetterEvent

    rows = DeadLetterEvent.objects.filter(_of_subjects(subjects)).order_by("failed_at", "id")
    return [
        {
            "event_id": row.event_id,
            "type": row.type,
            "raw": row.raw,
            "reason": row.reason,
            "failed_at": row.failed_at.isoformat(),
        }
        for row in rows
    ]


def count() -> int:
    """How many dead letters are kept (the owner's dashboard shows it)."""
    from personalization_plugin.models import DeadLetterEvent

    return int(DeadLetterEvent.objects.count())
