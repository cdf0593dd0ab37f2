"""The one reader of the generic CSV event format, for training data and for backfills.

    timestamp,user,item,event[,quantity,price,session]

The first line is the header and decides where each column is: columns may come in any
order, columns it does not know are ignored, and `quantity`, `price` and `session` may
be left out (or left empty). `timestamp` is unix seconds or ISO 8601 (UTC when it has
no offset), `event` a plugin event type a log can hold (view, click, cart_add,
cart_remove, checkout, purchase) or the short names of the shared data sets (cart,
remove). A UTF-8 byte-order mark and CRLF line ends are accepted.

It lives in `core` because both readers of the format stand on it and must not import
each other the wrong way: `engine.datasets` turns rows into an `EventLog` for training
and evaluation, and `backfill` (a layer above the engine) into `TrackedEvent`s to store.
It needs only the standard library, Django's date parser and `core.events`, whose
validators it uses so a CSV row is held to the same limits as a live event.

A header that is missing or lacks a required column raises `DatasetFormatError`: no row
can be read then. A row that does not fit is yielded as a `MalformedRow` (line, what was
wrong, what was expected), so each caller keeps its own policy: stop, or skip and count.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from django.utils.dateparse import parse_datetime

from personalization_plugin.core.events import (
    INTERACTION_EVENTS,
    EventType,
    clean_id,
    clean_price,
    clean_quantity,
    shown,
)
from personalization_plugin.core.exceptions import DatasetFormatError, InvalidEvent, MalformedRow

REQUIRED_COLUMNS = ("timestamp", "user", "item", "event")
OPTIONAL_COLUMNS = ("quantity", "price", "session")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Event types an interaction log can hold (impressions, searches and category views need
# fields the format has no column for), plus the short names of the shared data sets.
EVENT_NAMES: dict[str, EventType] = {
    "cart": EventType.CART_ADD,
    "remove": EventType.CART_REMOVE,
    **{t.value: t for t in INTERACTION_EVENTS},
}
# How the format is written in messages: the optional columns in brackets.
FORMAT = f"{','.join(REQUIRED_COLUMNS)}[,{','.join(OPTIONAL_COLUMNS)}]"
EXPECTED_HEADER = f"the header {FORMAT} as the first line (any order; other columns are ignored)"
EXPECTED_ROW = (
    f"{FORMAT} as named by the header, "
    "with timestamp in unix seconds or ISO 8601 and event one of "
    f"{', '.join(sorted(EVENT_NAMES))}"
)
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes surrogate-escaped by the decoder


@dataclass(slots=True)
class CsvEvent:
    """One valid row of the generic format, typed.

    `timestamp` is unix seconds and `occurred_at` the same moment as an aware datetime
    (each exact for the way the file wrote it). `timestamp_text` is the timestamp as
    written. `key` is the row's own columns as written, in the documented order and
    without the columns the format ignores: the same record whatever the file's
    column order, so an import can derive stable ids from it.
    """

    line: int
    timestamp: float
    occurred_at: datetime
    user: str
    item: str
    type: EventType
    quantity: int
    price: Decimal | None
    session: str
    timestamp_text: str
    key: str


def iter_rows(path: str | Path) -> Iterator[CsvEvent | MalformedRow]:
    """Every data row of a generic-format file, in file order: a `CsvEvent`, or a
    `MalformedRow` naming its line when it does not fit. Blank lines are skipped.

    Raises DatasetFormatError when the file is empty or its header lacks a required
    column (or names one twice), and OSError when it cannot be opened.
    """
    path = Path(path)
    # utf-8-sig drops a byte-order mark; surrogateescape turns a byte that is not UTF-8
    # into an error naming its line instead of a crash.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        layout = _header(path, reader)
        present = layout.present
        read_to = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a field beyond csv.field_size_limit()
                yield MalformedRow(read_to + 1, f"it is not valid CSV ({exc})", EXPECTED_ROW)
                read_to = reader.line_num
                continue
            line, read_to = read_to + 1, reader.line_num
            if not cells:
                continue
            try:
                yield _row(cells, line, layout, present)
            except MalformedRow as exc:
                yield exc


@dataclass(frozen=True)
class _Layout:
    """Where the header put each documented column (-1: not in the file)."""

    width: int
    index: dict[str, int]

    @property
    def required_width(self) -> int:
        """Fields a row needs to reach every required column."""
        return max(self.index[name] for name in REQUIRED_COLUMNS) + 1

    @property
    def present(self) -> tuple[int, ...]:
        """Indexes of the documented columns the file has, in the documented order."""
        return tuple(self.index[name] for name in COLUMNS if self.index[name] >= 0)


def _header(path: Path, reader: Iterator[list[str]]) -> _Layout:
    try:
        written = [name.strip() for name in next(reader)]
    except StopIteration:
        raise DatasetFormatError(
            f"{path}: the file is empty; expected {EXPECTED_HEADER}."
        ) from None
    except csv.Error as exc:
        raise DatasetFormatError(f"{path}, line 1: {exc}; expected {EXPECTED_HEADER}.") from None
    names = [name.lower() for name in written]
    twice = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if twice:
        raise DatasetFormatError(
            f"{path}, line 1: the header names {', '.join(twice)} more than once; "
            f"expected {EXPECTED_HEADER}."
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        got = ",".join(written)
        raise DatasetFormatError(
            f"{path}, line 1: the header lacks {', '.join(missing)}; expected "
            f"{EXPECTED_HEADER}, got {shown(got, 200)}."
        )
    index = {name: names.index(name) if name in names else -1 for name in COLUMNS}
    return _Layout(width=len(names), index=index)


def _row(cells: list[str], line: int, layout: _Layout, present: tuple[int, ...]) -> CsvEvent:
    count = len(cells)
    if count > layout.width or count < layout.required_width:
        raise MalformedRow(
            line, f"it has {count} fields but the header has {layout.width}", EXPECTED_ROW
        )
    key = ",".join(cells[i] for i in present if i < count)
    if _NOT_UTF8.search(key):
        raise MalformedRow(line, "it is not UTF-8 text; save the file as UTF-8", EXPECTED_ROW)
    index = layout.index

    def cell(name: str) -> str:
        i = index[name]
        return cells[i].strip() if 0 <= i < count else ""

    stamp_text, user, item, event = cell("timestamp"), cell("user"), cell("item"), cell("event")
    kind = EVENT_NAMES.get(event.lower())
    if kind is None:
        raise MalformedRow(
            line,
            f"event must be one of {', '.join(sorted(EVENT_NAMES))}, got {shown(event)}",
            EXPECTED_ROW,
        )
    if not user or not item:
        raise MalformedRow(line, "user and item must not be empty", EXPECTED_ROW)
    stamp, when = _timestamp(stamp_text, line)
    try:
        return CsvEvent(
            line=line,
            timestamp=stamp,
            occurred_at=when,
            user=clean_id("user", user),
            item=clean_id("item", item),
            type=kind,
            quantity=clean_quantity(cell("quantity") or None),
            price=clean_price(cell("price")),
            session=clean_id("session", cell("session")),
            timestamp_text=stamp_text,
            key=key,
        )
    except InvalidEvent as exc:
        raise MalformedRow(line, str(exc).rstrip("."), EXPECTED_ROW) from None


def _timestamp(text: str, line: int) -> tuple[float, datetime]:
    try:
        seconds = float(text)
        return seconds, datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):  # not a number, nan, inf, out of range
        pass
    try:
        parsed = parse_datetime(text)
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None:
        raise MalformedRow(
            line, f"timestamp must be unix seconds or ISO 8601, got {shown(text)}", EXPECTED_ROW
        )
    when = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return when.timestamp(), when
