"""Significance helpers on textbook numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from personalization_plugin.experiments.statistics import (
    sample_size_per_arm,
    two_proportion_z,
    welch_t,
)


def test_z_test_on_textbook_numbers():
    # 100/1000 vs 130/1000: pooled 0.115, z = 0.03 / sqrt(0.115*0.885*0.002) = 2.1028, p = 0.0355
    result = two_proportion_z(100, 1000, 130, 1000)
    assert result.statistic == pytest.approx(0.03 / math.sqrt(0.115 * 0.885 * 0.002))
    assert result.p_value == pytest.approx(0.0355, abs=1e-4)
    assert result.lift == pytest.approx(0.3)
    assert result.ci_low < 0.03 < result.ci_high


def test_equal_rates_give_z_zero_and_p_one():
    result = two_proportion_z(50, 500, 50, 500)
    assert result.statistic == 0.0
    assert result.p_value == pytest.approx(1.0)


def test_successes_above_trials_are_capped():
    result = two_proportion_z(12, 10, 5, 10)
    assert result.control == 1.0


def test_no_trials_means_no_test():
    result = two_proportion_z(0, 0, 3, 10)
    assert result.p_value is None and result.lift is None


def test_welch_matches_scipy_and_needs_two_values_per_arm():
    rng = np.random.default_rng(1)
    a, b = rng.exponential(10, 300), rng.exponential(12, 200)
    result = welch_t(a, b)
    assert result.n_control == 300 and result.n_treatment == 200
    assert result.ci_low < result.treatment - result.control < result.ci_high
    assert welch_t(np.array([1.0]), b).p_value is None


def test_sample_size_for_a_ten_percent_lift_on_a_five_percent_rate():
    # Standard calculators give about 31,200 per arm for 5% -> 5.5%, alpha 0.05, power 0.8.
    assert 31_000 < sample_size_per_arm(0.05, 0.10) < 31_500
    assert sample_size_per_arm(0.0) is None
