"""Is the difference between two arms more than noise?

Rates (click-through, add-to-cart, conversion) use the two-proportion z-test with a
pooled standard error; revenue per visitor, which is heavily skewed and has unequal
variances between arms, uses Welch's t-test. Both are two-sided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Comparison:
    """Treatment vs control for one metric."""

    control: float
    treatment: float
    lift: float | None  # relative: (treatment - control) / control; None when control is 0
    statistic: float | None  # z or t; None when the test cannot be computed
    p_value: float | None
    test: str  # "z" or "welch"
    n_control: int
    n_treatment: int
    ci_low: float | None = None  # 95 % interval of the absolute difference
    ci_high: float | None = None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def _lift(control: float, treatment: float) -> float | None:
    return (treatment - control) / control if control else None


def two_proportion_z(
    successes_c: int, trials_c: int, successes_t: int, trials_t: int
) -> Comparison:
    """z = (p_t - p_c) / sqrt(p (1 - p) (1/n_c + 1/n_t)), p the pooled rate.

    Successes are capped at the trials (a click whose impression was never reported
    must not make a rate above 1).
    """
    successes_c, successes_t = min(successes_c, trials_c), min(successes_t, trials_t)
    p_c = successes_c / trials_c if trials_c else 0.0
    p_t = successes_t / trials_t if trials_t else 0.0
    z = p_value = low = high = None
    if trials_c and trials_t:
        pooled = (successes_c + successes_t) / (trials_c + trials_t)
        se = math.sqrt(pooled * (1 - pooled) * (1 / trials_c + 1 / trials_t))
        if se > 0:
            z = (p_t - p_c) / se
            p_value = float(2 * stats.norm.sf(abs(z)))
        # The interval uses the unpooled error (the pooled one assumes no difference).
        se_diff = math.sqrt(p_c * (1 - p_c) / trials_c + p_t * (1 - p_t) / trials_t)
        margin = float(stats.norm.ppf(1 - ALPHA / 2)) * se_diff
        low, high = (p_t - p_c) - margin, (p_t - p_c) + margin
    return Comparison(p_c, p_t, _lift(p_c, p_t), z, p_value, "z", trials_c, trials_t, low, high)


def welch_t(control: np.ndarray, treatment: np.ndarray) -> Comparison:
    """Welch's t-test on per-visitor values (e.g. revenue, zeros included)."""
    c = np.asarray(control, dtype=float)
    t = np.asarray(treatment, dtype=float)
    mean_c = float(c.mean()) if c.size else 0.0
    mean_t = float(t.mean()) if t.size else 0.0
    statistic = p_value = low = high = None
    if c.size >= 2 and t.size >= 2:
        var_c, var_t = c.var(ddof=1) / c.size, t.var(ddof=1) / t.size
        se = math.sqrt(var_c + var_t)
        if se > 0:
            result = stats.ttest_ind(t, c, equal_var=False)
            statistic, p_value = float(result.statistic), float(result.pvalue)
            dof = (var_c + var_t) ** 2 / (var_c**2 / (c.size - 1) + var_t**2 / (t.size - 1))
            margin = float(stats.t.ppf(1 - ALPHA / 2, dof)) * se
            low, high = (mean_t - mean_c) - margin, (mean_t - mean_c) + margin
    return Comparison(
        mean_c,
        mean_t,
        _lift(mean_c, mean_t),
        statistic,
        p_value,
        "welch",
        c.size,
        t.size,
        low,
        high,
    )


def sample_size_per_arm(
    base_rate: float, relative_lift: float = 0.1, power: float = 0.8
) -> int | None:
    """Visitors per arm needed to detect `relative_lift` on a rate of `base_rate`.

    The usual normal-approximation formula for two proportions at ALPHA (two-sided).
    None when the base rate is 0 or 1 (nothing to detect yet).
    """
    if not 0 < base_rate < 1:
        return None
    p1, p2 = base_rate, min(base_rate * (1 + relative_lift), 0.999999)
    z_a = stats.norm.ppf(1 - ALPHA / 2)
    z_b = stats.norm.ppf(power)
    p_bar = (p1 + p2) / 2
    top = z_a * math.sqrt(2 * p_bar * (1 - p_bar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(top**2 / (p2 - p1) ** 2)
