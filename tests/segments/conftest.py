from __future__ import annotations

import pytest


def reset_segment_state() -> None:
    from personalization_plugin.profiles import store
    from personalization_plugin.scores import model as score_model
    from personalization_plugin.segments import engine, population, slots
    from personalization_plugin.tracking.testing import reset_tracking_state

    reset_tracking_state()
    store.clear_local()
    engine.forget_definitions()
    population.forget()
    score_model.forget()
    slots.forget()


@pytest.fixture(autouse=True)
def _fresh_segment_state(db):
    reset_segment_state()
    yield
    reset_segment_state()
