"""What keeps training and its precompute bounded: each claim checked on real data."""

from __future__ import annotations

import numpy as np
import pytest

from personalization_plugin.core.conf import DEFAULTS
from personalization_plugin.engine import registry, serving_model
from personalization_plugin.engine.blend import add_normalised, normalise
from personalization_plugin.engine.builder import BuildParams
from personalization_plugin.engine.evaluation import holdout, time_split
from personalization_plugin.engine.training import train
from personalization_plugin.serving.cache import precompute

from .conftest import planted_log, planted_rows, store_events

WEIGHTS = DEFAULTS["EVENT_WEIGHTS"]


@pytest.mark.django_db
def test_precompute_looks_up_opt_outs_once_not_once_per_shopper(
    planted_db, django_assert_max_num_queries
):
    train(search=False)
    model = registry.get_active_model()
    subjects = [str(s) for s in model.subject_ids]
    assert len(subjects) == 24
    with django_assert_max_num_queries(2):
        assert precompute(model, subjects) == 24


def test_holdout_scores_a_bounded_sample_of_cases():
    split = time_split(planted_log(), 0.5)
    full = holdout(split, BuildParams(), WEIGHTS, None, max_cases=0).metrics
    capped = holdout(split, BuildParams(), WEIGHTS, None, max_cases=3).metrics
    assert capped["cases"] == 3 and capped["test_subjects"] == full["cases"] > 3
    assert full["ndcg@10_stderr"] >= 0


def test_in_place_normalisation_adds_what_normalise_gives():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 40)).astype(np.float32)
    scores[2] = 3.0  # a constant row scales to zeros
    total = np.ones((5, 40), np.float32)
    expected = 1.0 + 0.7 * normalise(scores)
    add_normalised(total, 0.7, scores.copy())
    assert np.allclose(total, expected, atol=1e-6)


@pytest.mark.django_db
def test_batch_lists_on_two_threads_equal_one_thread(monkeypatch):
    store_events(planted_rows(n_users=80))
    train(search=False)
    model = registry.get_active_model()
    subjects = [str(s) for s in model.subject_ids]
    threaded = model.for_subjects(subjects, n=5)
    monkeypatch.setattr(serving_model, "SCORING_THREADS", 1)
    assert model.for_subjects(subjects, n=5) == threaded
    assert threaded == {s: model.for_subject(s, n=5) for s in subjects}
