"""`core.csv_events`: one reader of the generic CSV format, for training data and backfills.

The training loader (`engine.datasets.read_events_csv`) and the backfill
(`backfill.read_csv_events`) must see the same events in the same file, whatever the
order of its columns; a bad header stops both with one clear message, and a bad row is
named by its line without costing any good row.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from personalization_plugin import backfill
from personalization_plugin.core import csv_events
from personalization_plugin.core.events import MAX_ID_LENGTH, EventType, TrackedEvent
from personalization_plugin.core.exceptions import DatasetFormatError, MalformedRow
from personalization_plugin.engine.datasets import read_events_csv

ROWS = [
    ("1700000000", "u1", "p1", "view", "1", "9.50", "s1"),
    ("1700000060", "u1", "p1", "cart", "2", "", "s1"),
    ("1700000120", "u1", "p1", "purchase", "2", "9.50", "s1"),
    ("2024-05-01T10:00:00+00:00", "u2", "p2", "click", "", "", ""),
    ("1700000300", "u2", "p2", "cart_remove", "1", "0", "s2"),
]


def write(tmp_path: Path, text: str | bytes, name: str = "events.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def table(header: list[str], rows: list[tuple[str, ...]], order: list[int] | None = None) -> str:
    order = order or list(range(len(header)))
    lines = [",".join(header[i] for i in order)]
    lines += [",".join(row[i] for i in order) for row in rows]
    return "\n".join(lines) + "\n"


def standard(folder: Path) -> Path:
    """ROWS under the documented header, in its own folder (to compare with a variant)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write(folder, table(list(csv_events.COLUMNS), ROWS))


def good_rows(path: Path) -> list[csv_events.CsvEvent]:
    return [row for row in csv_events.iter_rows(path) if isinstance(row, csv_events.CsvEvent)]


def bad_rows(path: Path) -> list[MalformedRow]:
    return [row for row in csv_events.iter_rows(path) if isinstance(row, MalformedRow)]


def imported(path: Path, **options: bool) -> list[TrackedEvent]:
    return [
        e
        for _, e in backfill.read_csv_events(path, **options)
        if isinstance(e, TrackedEvent)  # skip_invalid yields the bad rows too
    ]


def as_tuples_from_log(path: Path) -> list[tuple[object, ...]]:
    log = read_events_csv(path)
    return [
        (s, i, t, ts, q, None if np.isnan(p) else p, sess)
        for s, i, t, ts, q, p, sess in zip(
            log.subject.tolist(),
            log.item.tolist(),
            log.type.tolist(),
            log.timestamp.tolist(),
            log.quantity.tolist(),
            log.price.tolist(),
            log.session.tolist(),
            strict=True,
        )
    ]


def as_tuples_from_import(path: Path) -> list[tuple[object, ...]]:
    return [
        (
            f"v:{e.visitor_id}",
            e.product_id,
            e.type,
            datetime.fromisoformat(e.occurred_at).timestamp(),
            e.quantity,
            float(e.price) if e.price else None,
            e.session_id,
        )
        for e in imported(path)
    ]


# ---- one reader, two callers ---------------------------------------------------------


def test_training_and_backfill_read_the_same_events_from_the_same_file(tmp_path) -> None:
    path = standard(tmp_path)
    assert as_tuples_from_log(path) == as_tuples_from_import(path)
    assert len(as_tuples_from_log(path)) == len(ROWS)


def test_rows_become_typed_records(tmp_path) -> None:
    first, second, *_, iso, removal = good_rows(standard(tmp_path))
    assert first.type is EventType.VIEW and first.price == Decimal("9.50")
    assert first.occurred_at == datetime.fromtimestamp(1700000000, tz=UTC)
    assert (second.type, second.quantity, second.price) == (EventType.CART_ADD, 2, None)
    assert iso.occurred_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert (iso.quantity, iso.session) == (1, "")
    assert (removal.type, removal.price) == (EventType.CART_REMOVE, Decimal("0"))


def test_columns_in_another_order_are_read_by_name_by_both_callers(tmp_path) -> None:
    reference = standard(tmp_path / "reference")
    expected_log = as_tuples_from_log(reference)
    expected_import = [e.event_id for e in imported(reference)]
    shuffled = write(tmp_path, table(list(csv_events.COLUMNS), ROWS, order=[6, 3, 1, 5, 0, 4, 2]))
    assert as_tuples_from_log(shuffled) == expected_log
    assert as_tuples_from_import(shuffled) == expected_log
    # The import ids come from the columns, not their order: a re-import stores nothing new.
    assert [e.event_id for e in imported(shuffled)] == expected_import


def test_columns_the_format_does_not_know_are_ignored(tmp_path) -> None:
    header = ["store", *csv_events.COLUMNS, "note"]
    rows = [("berlin", *row, "a, quoted note") for row in ROWS]
    text = "\n".join([",".join(header), *(",".join([r[0], *r[1:-1], f'"{r[-1]}"']) for r in rows)])
    path = write(tmp_path, text + "\n")
    reference = standard(tmp_path / "reference")
    assert as_tuples_from_log(path) == as_tuples_from_log(reference)
    assert [e.event_id for e in imported(path)] == [e.event_id for e in imported(reference)]


def test_optional_columns_may_be_left_out(tmp_path) -> None:
    path = write(tmp_path, "event,item,user,timestamp\nview,p1,u1,1700000000\n")
    (row,) = good_rows(path)
    assert (row.user, row.item, row.quantity, row.price, row.session) == ("u1", "p1", 1, None, "")


def test_a_row_may_stop_before_trailing_optional_columns(tmp_path) -> None:
    path = write(tmp_path, "timestamp,user,item,event,quantity,price,session\n1,u,p,view\n")
    assert [r.item for r in good_rows(path)] == ["p"]


# ---- the header ----------------------------------------------------------------------


@pytest.mark.parametrize("reader", [read_events_csv, lambda p: list(backfill.read_csv_events(p))])
def test_a_header_missing_columns_names_them_and_the_expected_header(tmp_path, reader) -> None:
    path = write(tmp_path, "timestamp,customer,item\n1,u,p\n")
    with pytest.raises(DatasetFormatError) as caught:
        reader(path)
    message = str(caught.value)
    assert "line 1: the header lacks user, event" in message
    assert "expected the header timestamp,user,item,event[,quantity,price,session]" in message
    assert "got 'timestamp,customer,item'" in message


def test_a_file_without_a_header_is_told_to_add_one(tmp_path) -> None:
    path = write(tmp_path, "1700000000,u1,p1,view\n")
    with pytest.raises(DatasetFormatError, match="the header lacks timestamp, user, item, event"):
        list(csv_events.iter_rows(path))


def test_skip_invalid_does_not_skip_a_bad_header(tmp_path) -> None:
    path = write(tmp_path, "when,who,what,how\n1,u,p,view\n")
    with pytest.raises(DatasetFormatError, match="the header lacks"):
        list(backfill.read_csv_events(path, skip_invalid=True))


def test_a_column_named_twice_is_refused(tmp_path) -> None:
    path = write(tmp_path, "timestamp,user,item,event,user\n1,u,p,view,w\n")
    with pytest.raises(DatasetFormatError, match="names user more than once"):
        list(csv_events.iter_rows(path))


def test_an_empty_file_is_reported_with_the_expected_header(tmp_path) -> None:
    with pytest.raises(DatasetFormatError, match="empty; expected the header timestamp,user"):
        list(csv_events.iter_rows(write(tmp_path, "")))


def test_header_names_are_matched_without_case_or_spaces(tmp_path) -> None:
    path = write(tmp_path, " Timestamp , USER,Item,Event\n1,u,p,view\n")
    assert [r.user for r in good_rows(path)] == ["u"]


# ---- encoding and line ends ----------------------------------------------------------


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted(tmp_path) -> None:
    text = table(list(csv_events.COLUMNS), ROWS).replace("\n", "\r\n")
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode())
    reference = as_tuples_from_log(standard(tmp_path / "reference"))
    assert as_tuples_from_log(path) == reference
    assert as_tuples_from_import(path) == reference


def test_a_line_that_is_not_utf8_is_named_and_the_rest_is_read(tmp_path) -> None:
    body = "timestamp,user,item,event\n1,u1,p1,view\n2,Jos\xe9,p1,view\n3,u3,p3,view\n"
    path = write(tmp_path, body.encode("latin-1"))
    (bad,) = bad_rows(path)
    assert (bad.line, bad.problem) == (3, "it is not UTF-8 text; save the file as UTF-8")
    assert [r.user for r in good_rows(path)] == ["u1", "u3"]


# ---- hostile rows: a clear error per line, no good row lost --------------------------

HOSTILE = [
    ("x" * 200_000 + ",u,p,view", "it is not valid CSV (field larger than field limit"),
    ("1,u,p,view,1,1,s,extra", "it has 8 fields but the header has 7"),
    ("1,u", "it has 2 fields but the header has 7"),
    (f"1,{'u' * 5000},p,view", f"user is 5000 characters long; ids may be at most {MAX_ID_LENGTH}"),
    (f"1,u,p,view,1,1,{'s' * 200}", "session is 200 characters long"),
    ("nan,u,p,view", "timestamp must be unix seconds or ISO 8601, got 'nan'"),
    ("1e999,u,p,view", "timestamp must be unix seconds or ISO 8601, got '1e999'"),
    ("2026-13-45T99:00:00,u,p,view", "timestamp must be unix seconds or ISO 8601"),
    ("1,u,p,view,two", "quantity must be a whole number, got 'two'"),
    ("1,u,p,view,2.5", "quantity must be a whole number, got '2.5'"),
    ("1,u,p,view,0", "quantity must be between 1 and 10000, got 0"),
    ("1,u,p,view," + "9" * 5000, "quantity must be a whole number, got '9999"),
    ("1,u,p,view,1,-3", "price must be a non-negative number, got '-3'"),
    ("1,u,p,view,1,1e99", "price must be below 10000000000, got '1e99'"),
    ("1,u,p,view,1,cheap", "price must be a decimal number, got 'cheap'"),
    ("1,u,p,like", "event must be one of cart, cart_add, cart_remove, checkout, click, "),
    ("1,u,p,impression", "got 'impression'"),
    ("1,,p,view", "user and item must not be empty"),
]


@pytest.mark.parametrize(("row", "problem"), HOSTILE, ids=[p[:30] for _, p in HOSTILE])
def test_a_hostile_row_is_named_by_line_and_costs_no_good_row(tmp_path, row, problem) -> None:
    header = ",".join(csv_events.COLUMNS)
    path = write(tmp_path, f"{header}\n1,u1,p1,view\n{row}\n3,u3,p3,view\n")
    (bad,) = bad_rows(path)
    assert bad.line == 3
    assert problem in bad.problem
    assert len(str(bad)) < 600, "a hostile field is not echoed back whole"
    assert "Expected timestamp,user,item,event" in str(bad)
    assert [r.user for r in good_rows(path)] == ["u1", "u3"]
    report = [e for _, e in backfill.read_csv_events(path, skip_invalid=True)]
    assert [getattr(e, "visitor_id", None) for e in report] == ["u1", None, "u3"]


def test_the_training_loader_stops_at_a_hostile_row_naming_file_and_line(tmp_path) -> None:
    header = ",".join(csv_events.COLUMNS)
    path = write(tmp_path, f"{header}\n1,u1,p1,view\n1,u,p,view,1,-3\n")
    with pytest.raises(DatasetFormatError) as caught:
        read_events_csv(path)
    assert str(caught.value).startswith(f"{path}, line 3: price must be a non-negative number")
    assert "Expected timestamp,user,item,event" in str(caught.value)


def test_the_backfill_stops_at_a_hostile_row_unless_told_to_skip(tmp_path) -> None:
    header = ",".join(csv_events.COLUMNS)
    path = write(tmp_path, f"{header}\n1,u1,p1,view\n1,u,p,view,1,-3\n")
    with pytest.raises(MalformedRow) as caught:
        list(backfill.read_csv_events(path))
    assert caught.value.line == 3


def test_a_line_count_survives_quoted_newlines(tmp_path) -> None:
    path = write(tmp_path, 'timestamp,user,item,event\n1,"u\n1",p1,view\n2,u2,p2,like\n')
    (bad,) = bad_rows(path)
    assert bad.line == 4


def test_blank_lines_are_skipped_and_still_counted(tmp_path) -> None:
    path = write(tmp_path, "timestamp,user,item,event\n\n1,u,p,view\n\n2,u,p,like\n")
    assert [r.line for r in good_rows(path)] == [3]
    assert [b.line for b in bad_rows(path)] == [5]


def test_a_field_too_large_for_csv_does_not_hide_the_rows_after_it(tmp_path) -> None:
    limit = csv.field_size_limit()
    path = write(
        tmp_path, f"timestamp,user,item,event\n{'9' * (limit + 1)},u,p,view\n2,u2,p,view\n"
    )
    assert [b.line for b in bad_rows(path)] == [2]
    assert [r.user for r in good_rows(path)] == ["u2"]
