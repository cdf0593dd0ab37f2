"""The per-person statistics, checked number for number against tea-tasting and scipy.

tea-tasting (a maintained A/B-testing library, in the `dev` extra) is the reference for
Welch means, CUPED, delta-method ratios, relative-lift intervals and the sample-ratio
test; scipy for Welch's t-test; Holm and the sample size against worked numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
import tea_tasting as tt
from scipy import stats

from personalization_plugin.experiments.statistics import (
    correct,
    holm,
    mean_metric,
    planned_sample_size,
    rate_variance,
    ratio_metric,
    sample_ratio,
)


@pytest.fixture(scope="module")
def traffic():
    """3,000 people, 30 % in control; skewed revenue that depends on pre-period revenue,
    and a varying number of impressions per person with correlated clicks."""
    rng = np.random.default_rng(3)
    n = 3000
    in_control = rng.random(n) < 0.3
    pre = rng.exponential(5, n) * (rng.random(n) < 0.4)
    revenue = pre * 0.5 + rng.exponential(4, n) * (rng.random(n) < 0.3)
    impressions = rng.integers(1, 20, n).astype(float)
    clicks = rng.binomial(impressions.astype(int), rng.beta(1, 9, n)).astype(float)
    table = pa.table(
        {
            "variant": (~in_control).astype(int),
            "revenue": revenue,
            "pre": pre,
            "impressions": impressions,
            "clicks": clicks,
        }
    )
    experiment = tt.Experiment(
        variant="variant",
        metrics={
            "plain": tt.Mean("revenue"),
            "cuped": tt.Mean("revenue", covariate="pre"),
            "ctr": tt.RatioOfMeans("clicks", "impressions"),
            "srm": tt.SampleRatio({0: 0.3, 1: 0.7}),
        },
    )
    reference = experiment.analyze(table, control=0)
    columns = {"revenue": revenue, "pre": pre, "impressions": impressions, "clicks": clicks}
    return in_control, columns, reference


def _same(ours, theirs):
    assert ours.control == pytest.approx(theirs.control, rel=1e-9)
    assert ours.treatment == pytest.approx(theirs.treatment, rel=1e-9)
    assert ours.difference == pytest.approx(theirs.effect_size, rel=1e-9)
    assert ours.ci_low == pytest.approx(theirs.effect_size_ci_lower, rel=1e-9)
    assert ours.ci_high == pytest.approx(theirs.effect_size_ci_upper, rel=1e-9)
    assert ours.lift == pytest.approx(theirs.rel_effect_size, rel=1e-9)
    assert ours.lift_low == pytest.approx(theirs.rel_effect_size_ci_lower, rel=1e-9)
    assert ours.lift_high == pytest.approx(theirs.rel_effect_size_ci_upper, rel=1e-9)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


def test_mean_metric_matches_tea_tasting_welch(traffic):
    c, cols, reference = traffic
    y = cols["revenue"]
    _same(mean_metric("rpv", y[c], y[~c]), reference["plain"])


def test_mean_metric_matches_scipy_welch_t_test(traffic):
    c, cols, _ = traffic
    y = cols["revenue"]
    ours = mean_metric("rpv", y[c], y[~c])
    scipy_result = stats.ttest_ind(y[~c], y[c], equal_var=False)
    assert ours.statistic == pytest.approx(scipy_result.statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(scipy_result.pvalue, rel=1e-9)


def test_cuped_matches_tea_tasting_and_narrows_the_interval(traffic):
    c, cols, reference = traffic
    y, x = cols["revenue"], cols["pre"]
    cuped = mean_metric("rpv", y[c], y[~c], x[c], x[~c])
    plain = mean_metric("rpv", y[c], y[~c])
    _same(cuped, reference["cuped"])
    assert cuped.cuped
    assert cuped.ci_high - cuped.ci_low < 0.9 * (plain.ci_high - plain.ci_low)


def test_ratio_metric_uses_the_delta_method_like_tea_tasting(traffic):
    c, cols, reference = traffic
    n, d = cols["clicks"], cols["impressions"]
    ours = ratio_metric("ctr", n[c], d[c], n[~c], d[~c])
    _same(ours, reference["ctr"])
    assert ours.n_control == int(c.sum())  # people, not impressions


def test_sample_ratio_matches_tea_tasting_and_flags_a_broken_split(traffic):
    c, _, reference = traffic
    ours = sample_ratio(int(c.sum()), int((~c).sum()), 0.3)
    assert ours.p_value == pytest.approx(reference["srm"].pvalue, rel=1e-2)
    assert not ours.mismatch
    broken = sample_ratio(1000, 1000, 0.3)  # 50 / 50 where 30 / 70 was designed
    assert broken.mismatch and broken.p_value < 1e-6


def test_holm_step_down_on_worked_numbers():
    # sorted 0.01, 0.02, 0.04 -> 3 * 0.01 = 0.03, 2 * 0.02 = 0.04, max(0.04, 1 * 0.04)
    adjusted = holm({"a": 0.04, "b": 0.01, "c": 0.02, "d": None})
    assert adjusted["b"] == pytest.approx(0.03)
    assert adjusted["c"] == pytest.approx(0.04)
    assert adjusted["a"] == pytest.approx(0.04)
    assert adjusted["d"] is None


def test_primary_metric_is_not_corrected_and_secondaries_are(traffic):
    c, cols, _ = traffic
    y = cols["revenue"]
    one = mean_metric("a", y[c], y[~c])
    estimates = {"a": one, "b": one, "c": one}
    corrected = correct(estimates, primary="a")
    assert corrected["a"].adjusted_p == one.p_value
    assert corrected["b"].adjusted_p == pytest.approx(min(1.0, 2 * one.p_value))


def test_too_few_people_give_no_test():
    result = mean_metric("conv", np.array([1.0]), np.array([0.0, 1.0]))
    assert result.p_value is None and not result.significant
    empty = ratio_metric("ctr", np.zeros(0), np.zeros(0), np.ones(3), np.ones(3))
    assert empty.p_value is None


def test_planned_size_for_a_ten_percent_lift_on_a_five_percent_rate():
    # Per arm (z_a + z_b)^2 * 2 p (1 - p) / (0.1 p)^2 = 7.849 * 2 * 0.0475 / 0.000025
    # = 29,826 with p = 0.05 in both arms; both arms together at a 50 / 50 split:
    expected = math.ceil((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 * 0.0475 * 4 / 0.005**2)
    assert planned_sample_size(0.05, rate_variance(0.05), 0.10, 0.5) == expected
    assert 59_000 < expected < 60_000
    # A 10 % holdout needs more people than an even split.
    assert planned_sample_size(0.05, rate_variance(0.05), 0.10, 0.1) > 2.7 * expected
    assert planned_sample_size(0.0, 0.0, 0.10, 0.5) is None


def test_planned_size_matches_tea_tasting_power_analysis():
    # tea-tasting solves n for a relative effect on a Mean metric with a normal test.
    rng = np.random.default_rng(5)
    data = pa.table({"y": rng.exponential(20, 5000)})
    mean, var = float(np.mean(data["y"])), float(np.var(data["y"], ddof=1))
    metric = tt.Mean("y", rel_effect_size=0.1, use_t=False, power=0.8)
    theirs = metric.solve_power(data, parameter="n_obs")[0].n_obs
    assert planned_sample_size(mean, var, 0.10, 0.5) == pytest.approx(theirs, abs=2)
