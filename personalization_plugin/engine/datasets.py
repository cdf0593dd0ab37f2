"""Reading interaction logs from CSV files for offline evaluation and benchmarks.

The "generic" format (the one of every data set in the project's shared data folder):

    timestamp,user,item,event[,quantity,price,session]

`timestamp` is unix seconds, `event` one of view / cart / remove / purchase (or the
plugin's own names: cart_add, cart_remove, click, checkout). A malformed file raises
`DatasetFormatError` naming the line and what was expected there.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from personalization_plugin.core.exceptions import DatasetFormatError
from personalization_plugin.engine.interactions import EventLog

REQUIRED_COLUMNS = ("timestamp", "user", "item", "event")
EVENT_NAMES = {
    "view": "view",
    "cart": "cart_add",
    "remove": "cart_remove",
    "purchase": "purchase",
    "cart_add": "cart_add",
    "cart_remove": "cart_remove",
    "click": "click",
    "checkout": "checkout",
}
FORMATS = ("generic",)


def read_events_csv(path: str | Path, fmt: str = "generic") -> EventLog:
    """Events from a CSV file as an `EventLog` (users become "v:<user>" subjects)."""
    if fmt not in FORMATS:
        raise DatasetFormatError(f"Unknown format {fmt!r}; supported: {', '.join(FORMATS)}.")
    path = Path(path)
    subjects, items, types, stamps, sessions, quantities, prices = [], [], [], [], [], [], []
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise DatasetFormatError(
                f"{path}: the file is empty; expected a header line {','.join(REQUIRED_COLUMNS)},quantity,price,session."
            )
        header = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise DatasetFormatError(
                f"{path}, line 1: the header lacks {', '.join(missing)}; expected "
                f"{','.join(REQUIRED_COLUMNS)}[,quantity,price,session], got {','.join(header)}."
            )
        col = {name: header.index(name) for name in header}
        for lineno, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) < len(header):
                raise DatasetFormatError(
                    f"{path}, line {lineno}: expected {len(header)} fields ({','.join(header)}), got {len(row)}."
                )
            try:
                stamp = float(row[col["timestamp"]])
            except ValueError:
                raise DatasetFormatError(
                    f"{path}, line {lineno}: timestamp must be unix seconds (a number), got {row[col['timestamp']]!r}."
                ) from None
            if not math.isfinite(stamp):
                raise DatasetFormatError(
                    f"{path}, line {lineno}: timestamp must be a finite number, got {row[col['timestamp']]!r}."
                )
            event = EVENT_NAMES.get(row[col["event"]].strip().lower())
            if event is None:
                raise DatasetFormatError(
                    f"{path}, line {lineno}: event must be one of {', '.join(sorted(EVENT_NAMES))}, got {row[col['event']]!r}."
                )
            user, item = row[col["user"]].strip(), row[col["item"]].strip()
            if not user or not item:
                raise DatasetFormatError(f"{path}, line {lineno}: user and item must not be empty.")
            subjects.append("v:" + user)
            items.append(item)
            types.append(event)
            stamps.append(stamp)
            sessions.append(row[col["session"]].strip() if "session" in col else "")
            quantities.append(_number(row, col, "quantity", lineno, path, 1.0))
            prices.append(_number(row, col, "price", lineno, path, np.nan))
    return EventLog.from_columns(
        subject=subjects,
        item=items,
        type=types,
        timestamp=stamps,
        session=sessions,
        quantity=[max(1, int(q)) for q in quantities],
        price=prices,
    )


def _number(
    row: list[str], col: dict[str, int], name: str, lineno: int, path: Path, default: float
) -> float:
    if name not in col or not row[col[name]].strip():
        return default
    try:
        return float(row[col[name]])
    except ValueError:
        raise DatasetFormatError(
            f"{path}, line {lineno}: {name} must be a number or empty, got {row[col[name]]!r}."
        ) from None


def read_item_categories(path: str | Path) -> dict[str, str]:
    """item -> category from an `items.csv` (item,category,...) next to an events file."""
    out: dict[str, str] = {}
    with Path(path).open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("item") and row.get("category"):
                out[row["item"]] = row["category"]
    return out
