from __future__ import annotations

import pytest

from tests.segments.conftest import reset_segment_state


@pytest.fixture(autouse=True)
def _fresh_segment_state(db):
    reset_segment_state()
    yield
    reset_segment_state()
