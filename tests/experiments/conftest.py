"""Experiment fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _forget_experiments() -> Iterator[None]:
    """A test's rolled-back experiments must not linger in the per-process cache
    (rollback sends no post_delete), or the next test would be served an arm."""
    from personalization_plugin.experiments import bucketing, challengers

    bucketing.forget()
    challengers.forget()
    yield
    bucketing.forget()
    challengers.forget()
