"""Hostile input for segment rule trees and the CSV importer.

Rule trees: arbitrary JSON never crashes validation; it is either a valid tree or an
InvalidRuleTree that says where and why. CSV import: arbitrary rows either import
completely or fail with a CommandError naming the line, with nothing stored (without
--skip-invalid); with --skip-invalid the good rows are stored and the bad ones counted.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.models import Event
from personalization_plugin.segments.rules import RULES, compile_tree

from .test_intake_hostile import json_values

EXAMPLES = 150

param_names = st.sampled_from(
    sorted({name for kind in RULES.values() for name in kind.params}) or ["days"]
)
leaves = st.fixed_dictionaries(
    {"rule": st.sampled_from(sorted(RULES)) | json_values},
    optional={"x": json_values},
).flatmap(
    lambda leaf: st.dictionaries(param_names, json_values, max_size=3).map(
        lambda params: {**leaf, **params}
    )
)
trees = st.recursive(
    leaves | json_values,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
        st.dictionaries(st.sampled_from(["all", "any", "not", "rule"]), inner, max_size=2),
    ),
    max_leaves=10,
)


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(tree=trees)
def test_any_json_is_either_a_valid_tree_or_a_clear_error(tree: Any) -> None:
    try:
        compile_tree(tree)
    except InvalidRuleTree as exc:
        message = str(exc)
        assert message and len(message) < 2000
        assert "Traceback" not in message


def test_a_tree_nested_too_deep_is_rejected_with_the_limit() -> None:
    tree: Any = {"rule": "returning_visitor"}
    for _ in range(40):
        tree = {"not": tree}
    with pytest.raises(InvalidRuleTree, match="deeper than"):
        compile_tree(tree)


def test_a_tree_with_too_many_nodes_is_rejected() -> None:
    with pytest.raises(InvalidRuleTree, match="more than"):
        compile_tree({"any": [{"rule": "returning_visitor"}] * 500})


EVENTS = ["view", "cart", "cart_add", "remove", "purchase"]
HEADER = ["timestamp", "user", "item", "event", "quantity", "price", "session"]
good_rows = st.tuples(
    st.integers(min_value=1_600_000_000, max_value=1_800_000_000).map(str),
    st.text("abc123", min_size=1, max_size=6),
    st.text("0123456789", min_size=1, max_size=4),
    st.sampled_from(EVENTS),
).map(list)
wild_field = st.text(max_size=12) | st.sampled_from(
    ["", "nan", "inf", "-1", "1e999", "2026-13-45T99:00:00", "0", "1" * 30, "x" * 200]
)
wild_rows = st.lists(wild_field, min_size=0, max_size=9)
near_rows = st.tuples(
    wild_field, st.text("abc", min_size=1, max_size=3), st.just("1"), st.sampled_from(EVENTS)
).flatmap(lambda head: st.lists(wild_field, max_size=3).map(lambda tail: [*head, *tail]))


def write_csv(tmp_path: Any, rows: list[list[str]], raw_tail: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path = tmp_path / "events.csv"
    path.write_text(buffer.getvalue() + raw_tail, encoding="utf-8", errors="surrogatepass")
    return str(path)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(good_rows | wild_rows | near_rows, min_size=1, max_size=8),
    raw_tail=st.sampled_from(["", "\n\n", "a,b\x00,c,d\n", '"unterminated,1,2,view\n']),
)
def test_csv_import_is_all_or_nothing_with_line_numbers(
    db: None, tmp_path: Any, rows: list[list[str]], raw_tail: str
) -> None:
    Event.objects.all().delete()
    path = write_csv(tmp_path, rows, raw_tail)
    try:
        call_command(
            "personalization_import",
            "--csv",
            path,
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    except CommandError as exc:
        assert "Line " in str(exc) or "line" in str(exc), str(exc)
        assert Event.objects.count() == 0, "nothing stored when a row is bad"
        return
    good = [r for r in rows if r and r != [""]]
    assert Event.objects.count() <= len(good)


@pytest.mark.slow
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    good=st.lists(good_rows, min_size=1, max_size=5),
    bad=st.lists(wild_rows | near_rows, max_size=4),
)
def test_skip_invalid_stores_the_good_rows_and_counts_the_bad(
    db: None, tmp_path: Any, good: list[list[str]], bad: list[list[str]]
) -> None:
    Event.objects.all().delete()
    path = write_csv(tmp_path, [*good, *bad], "")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "personalization_import", "--csv", path, "--skip-invalid", "--no-progress",
        stdout=out, stderr=err,
    )  # fmt: skip
    assert Event.objects.count() >= 1
    assert Event.objects.count() <= len(good) + len(bad)


def test_a_bad_row_names_its_line_and_stores_nothing(db: None, tmp_path: Any) -> None:
    now = str(int(datetime.now(UTC).timestamp()))
    path = write_csv(tmp_path, [[now, "u1", "1", "view"], [now, "u2", "2", "teleport"]], "")
    with pytest.raises(CommandError, match="Line 3: event must be one of .*got 'teleport'"):
        call_command("personalization_import", "--csv", path, "--no-progress")
    assert Event.objects.count() == 0


def test_an_impossible_date_is_a_bad_row_with_its_line(db: None, tmp_path: Any) -> None:
    path = write_csv(tmp_path, [["2026-13-45T99:00:00", "u1", "1", "view"]], "")
    with pytest.raises(CommandError, match="Line 2: timestamp must be"):
        call_command("personalization_import", "--csv", path, "--no-progress")
    assert Event.objects.count() == 0


def test_a_file_that_is_not_utf8_fails_clearly(db: None, tmp_path: Any) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("timestamp,user,item,event\n1700000000,Jos\xe9,1,view\n".encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("personalization_import", "--csv", str(path), "--no-progress")
    assert Event.objects.count() == 0
