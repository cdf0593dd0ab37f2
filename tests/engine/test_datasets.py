from __future__ import annotations

import pytest

from personalization_plugin.core.exceptions import DatasetFormatError
from personalization_plugin.engine.datasets import read_events_csv, read_item_categories


def write(tmp_path, text: str):
    path = tmp_path / "events.csv"
    path.write_text(text)
    return path


def test_generic_format_is_parsed(tmp_path):
    path = write(
        tmp_path,
        "timestamp,user,item,event,quantity,price,session\n"
        "100,u1,p1,view,1,9.5,s1\n"
        "101,u1,p1,cart,2,,s1\n"
        "102,u2,p2,purchase,,,\n"
        "103,u2,p2,remove,1,1,\n",
    )
    log = read_events_csv(path)
    assert log.subject.tolist() == ["v:u1", "v:u1", "v:u2", "v:u2"]
    assert log.type.tolist() == ["view", "cart_add", "purchase", "cart_remove"]
    assert log.quantity.tolist() == [1, 2, 1, 1]
    assert log.price[0] == 9.5
    assert log.session.tolist() == ["s1", "s1", "", ""]


def test_optional_columns_may_be_absent(tmp_path):
    log = read_events_csv(write(tmp_path, "timestamp,user,item,event\n1,u,p,view\n"))
    assert len(log) == 1 and log.session.tolist() == [""]


def test_a_bad_timestamp_names_the_line_and_what_was_expected(tmp_path):
    path = write(tmp_path, "timestamp,user,item,event\n1,u,p,view\nyesterday,u,p,view\n")
    with pytest.raises(DatasetFormatError, match=r"line 3: timestamp must be unix seconds"):
        read_events_csv(path)


def test_a_missing_header_column_is_reported(tmp_path):
    with pytest.raises(DatasetFormatError, match=r"line 1: the header lacks event"):
        read_events_csv(write(tmp_path, "timestamp,user,item\n1,u,p\n"))


def test_an_unknown_event_lists_the_accepted_ones(tmp_path):
    with pytest.raises(
        DatasetFormatError, match=r"line 2: event must be one of .*purchase.*got 'like'"
    ):
        read_events_csv(write(tmp_path, "timestamp,user,item,event\n1,u,p,like\n"))


def test_a_short_row_is_reported(tmp_path):
    with pytest.raises(DatasetFormatError, match=r"line 2: it has 3 fields but the header has 4"):
        read_events_csv(write(tmp_path, "timestamp,user,item,event\n1,u,p\n"))


def test_an_empty_file_is_reported(tmp_path):
    with pytest.raises(DatasetFormatError, match="empty"):
        read_events_csv(write(tmp_path, ""))


def test_item_categories_are_read(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("item,category,brand,price\n1,a.b,x,2\n2,,y,3\n")
    assert read_item_categories(path) == {"1": "a.b"}
