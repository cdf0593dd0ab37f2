"""Owner-edited tables are read once per interval, re-read on change, never fatal."""

from __future__ import annotations

import logging

import pytest

from personalization_plugin.core.reloading import Reloaded


def counter() -> tuple[list[int], Reloaded[int]]:
    reads: list[int] = []

    def load() -> int:
        reads.append(1)
        return len(reads)

    return reads, Reloaded(load, seconds=60.0, empty=0, what="numbers")


def test_a_fresh_value_is_reused_until_forgotten() -> None:
    reads, value = counter()
    assert value.get() == 1 and value.get() == 1
    value.forget()
    assert value.get() == 2
    assert len(reads) == 2


def test_a_zero_interval_reads_every_time() -> None:
    reads, value = counter()
    value.seconds = 0.0
    value.get()
    value.get()
    assert len(reads) == 2


def test_a_failed_read_serves_the_empty_value_and_says_what_failed(caplog) -> None:
    def broken() -> tuple[str, ...]:
        raise RuntimeError("database is gone")

    rules = Reloaded(broken, seconds=60.0, empty=(), what="merchandising rules")
    with caplog.at_level(logging.ERROR):
        assert rules.get() == ()
    assert "Could not read merchandising rules" in caplog.text


def test_errors_outside_the_expected_kinds_are_not_swallowed() -> None:
    def bug() -> int:
        raise KeyError("a programming error")

    value = Reloaded(bug, seconds=60.0, empty=0, what="numbers", errors=(OSError,))
    with pytest.raises(KeyError):
        value.get()
