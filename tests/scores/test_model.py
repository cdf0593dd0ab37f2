"""Logistic regression, AUC, and features that agree between batch and per request."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from personalization_plugin.profiles.profile import Profile, build_from_db, day_of
from personalization_plugin.scores.features import EventArrays, from_events, from_profile
from personalization_plugin.scores.model import auc, fit


def test_auc_of_a_known_ranking():
    assert auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75


def test_auc_counts_ties_as_half():
    assert auc(np.array([0, 1, 0, 1]), np.zeros(4)) == 0.5


def test_auc_is_undefined_with_one_class():
    assert auc(np.array([1, 1]), np.array([0.2, 0.3])) is None


def test_fit_recovers_the_direction_of_each_feature():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 3))
    y = rng.random(2000) < 1 / (1 + np.exp(-(2 * x[:, 0] - x[:, 1])))
    model = fit(x, y)
    assert model.coefficients[0] > 1.0 and model.coefficients[1] < -0.5
    assert abs(model.coefficients[2]) < 0.2
    fresh = rng.normal(size=(2000, 3))
    labels = rng.random(2000) < 1 / (1 + np.exp(-(2 * fresh[:, 0] - fresh[:, 1])))
    assert auc(labels, model.predict(fresh)) > 0.8


def test_fit_with_a_single_outcome_says_why_it_cannot():
    with pytest.raises(ValueError, match="Both outcomes are needed"):
        fit(np.ones((5, 2)), np.zeros(5))


def test_constant_feature_does_not_break_the_fit():
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.normal(size=200), np.ones(200)])
    model = fit(x, x[:, 0] > 0)
    assert np.isfinite(model.coefficients).all()


@pytest.mark.django_db
def test_profile_features_equal_batch_features_for_every_subject():
    from tests.segments.test_batch import simulate

    simulate(seed=11)
    now = timezone.now().timestamp()
    events = EventArrays.load()
    batch = from_events(events, now + 1e-6, day_of(now))
    for row, subject in enumerate(events.subjects):
        single = from_profile(Profile(build_from_db(subject)), now, day_of(now))
        np.testing.assert_allclose(single, batch[row], rtol=1e-9, atol=1e-9, err_msg=subject)
