"""Reading interaction logs from CSV files for offline evaluation and benchmarks.

The "generic" format (the one of every data set in the project's shared data folder,
and the one `personalization_import --csv` reads) is read by `core.csv_events`:

    timestamp,user,item,event[,quantity,price,session]

with the header naming the columns. A malformed file raises `DatasetFormatError` naming
the line and what was expected there: a training set with a bad row is not trusted.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from personalization_plugin.core import csv_events
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.exceptions import DatasetFormatError, MalformedRow
from personalization_plugin.engine.interactions import EventLog

FORMATS = ("generic",)


def read_events_csv(path: str | Path, fmt: str = "generic") -> EventLog:
    """Events from a CSV file as an `EventLog` (users become "v:<user>" subjects).

    Raises DatasetFormatError for an unknown `fmt`, a bad header, or the first row that
    does not fit the format (naming the file and the line).
    """
    if fmt not in FORMATS:
        raise DatasetFormatError(f"Unknown format {fmt!r}; supported: {', '.join(FORMATS)}.")
    subjects, items, types, stamps, sessions, quantities, prices = [], [], [], [], [], [], []
    for row in csv_events.iter_rows(path):
        if isinstance(row, MalformedRow):
            raise DatasetFormatError(
                f"{path}, line {row.line}: {row.problem}. Expected {row.expected}."
            )
        subjects.append(subject_keys.visitor(row.user))
        items.append(row.item)
        types.append(row.type.value)
        stamps.append(row.timestamp)
        sessions.append(row.session)
        quantities.append(row.quantity)
        prices.append(np.nan if row.price is None else float(row.price))
    return EventLog.from_columns(
        subject=subjects,
        item=items,
        type=types,
        timestamp=stamps,
        session=sessions,
        quantity=quantities,
        price=prices,
    )


def read_item_categories(path: str | Path) -> dict[str, str]:
    """item -> category from an `items.csv` (item,category,...) next to an events file."""
    out: dict[str, str] = {}
    with Path(path).open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("item") and row.get("category"):
                out[row["item"]] = row["category"]
    return out
