"""Is the difference between two arms more than noise? Per-person tests an analyst signs.

The unit of analysis is the unit of randomisation: one person (a signed-in customer, or
an anonymous visitor), never an impression. Two kinds of metric:

* **mean metrics** (conversion, add-to-cart rate, revenue per visitor): the mean of one
  value per person, compared with Welch's t-test; optionally CUPED-adjusted with the
  same person's pre-experiment value as covariate (variance reduction, same estimand);
* **ratio metrics** (click-through rate = clicks / impressions, average order value =
  revenue / orders): a ratio of two per-person sums, whose variance comes from the delta
  method, so one heavy visitor's 200 correlated impressions count as one observation.

The relative lift's interval comes from the log of the ratio of means (delta method),
so it is asymmetric and never crosses -100 %. These are the formulas of tea-tasting
(`tea_tasting.metrics.Mean` / `RatioOfMeans`, Welch t, two-sided); the tests check
every number here against tea-tasting and scipy. We compute them on numpy rather than
calling tea-tasting at run time because it pulls in ibis and pyarrow (about 200 MB and
1.6 s of import) for a dozen lines of arithmetic on per-arm sums.

One primary metric is chosen when the experiment is created and tested at ALPHA; the
secondary ones are Holm-corrected among themselves (`holm`). `sample_ratio` flags a
broken split. `planned_sample_size` gives the fixed horizon: significance is shown only
once that many people are in the experiment, so peeking does not inflate false
positives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

ALPHA = 0.05
POWER = 0.8
SRM_ALPHA = 0.001  # the usual threshold: a mismatch this unlikely means a broken split


@dataclass(frozen=True)
class Estimate:
    """Treatment vs control on one metric, per person."""

    metric: str
    control: float  # the metric's value in control (CUPED-adjusted when `cuped`)
    treatment: float
    n_control: int  # people
    n_treatment: int
    difference: float | None = None  # treatment - control
    ci_low: float | None = None  # 95 % interval of the difference
    ci_high: float | None = None
    lift: float | None = None  # relative: treatment / control - 1
    lift_low: float | None = None  # 95 % interval of the relative lift
    lift_high: float | None = None
    statistic: float | None = None  # Welch t
    p_value: float | None = None  # two-sided, unadjusted
    adjusted_p: float | None = None  # Holm-adjusted for secondary metrics, else = p_value
    method: str = "mean"  # "mean", "ratio"
    cuped: bool = False

    @property
    def testable(self) -> bool:
        return self.p_value is not None

    @property
    def significant(self) -> bool:
        """Below ALPHA after the multiple-testing correction (primary: uncorrected)."""
        p = self.adjusted_p if self.adjusted_p is not None else self.p_value
        return p is not None and p < ALPHA


def _welch(
    metric: str,
    method: str,
    mean_c: float,
    var_c: float,
    n_c: int,
    mean_t: float,
    var_t: float,
    n_t: int,
    cuped: bool = False,
) -> Estimate:
    """Welch's t-test and intervals from per-arm means and per-person variances."""
    base = Estimate(metric, mean_c, mean_t, n_c, n_t, method=method, cuped=cuped)
    if n_c < 2 or n_t < 2:
        return base
    se_c, se_t = var_c / n_c, var_t / n_t
    scale = math.sqrt(se_c + se_t)
    difference = mean_t - mean_c
    if not scale > 0:
        return replace(base, difference=difference)
    dof = (se_c + se_t) ** 2 / (se_c**2 / (n_c - 1) + se_t**2 / (n_t - 1))
    q = float(stats.t.ppf(1 - ALPHA / 2, dof))
    statistic = difference / scale
    p_value = float(2 * stats.t.sf(abs(statistic), dof))
    lift = lift_low = lift_high = None
    if mean_c > 0 and mean_t > 0:
        rel_c, rel_t = se_c / mean_c**2, se_t / mean_t**2
        log_dof = (rel_c + rel_t) ** 2 / (rel_c**2 / (n_c - 1) + rel_t**2 / (n_t - 1))
        half = math.exp(float(stats.t.ppf(1 - ALPHA / 2, log_dof)) * math.sqrt(rel_c + rel_t))
        ratio = mean_t / mean_c
        lift, lift_low, lift_high = ratio - 1, ratio / half - 1, ratio * half - 1
    elif mean_c > 0:
        lift = mean_t / mean_c - 1
    return replace(
        base,
        difference=difference,
        ci_low=difference - q * scale,
        ci_high=difference + q * scale,
        lift=lift,
        lift_low=lift_low,
        lift_high=lift_high,
        statistic=statistic,
        p_value=p_value,
        adjusted_p=p_value,
    )


def _var(x: np.ndarray) -> float:
    return float(x.var(ddof=1)) if x.size >= 2 else 0.0


def _cov(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.cov(x, y, ddof=1)[0, 1]) if x.size >= 2 else 0.0


def mean_metric(
    metric: str,
    control: np.ndarray,
    treatment: np.ndarray,
    control_pre: np.ndarray | None = None,
    treatment_pre: np.ndarray | None = None,
) -> Estimate:
    """Compare per-person means; with `*_pre` (the same people's pre-experiment values,
    aligned) the comparison is CUPED-adjusted: y - theta (x - mean x), theta pooled."""
    c = np.asarray(control, dtype=float)
    t = np.asarray(treatment, dtype=float)
    mean_c = float(c.mean()) if c.size else 0.0
    mean_t = float(t.mean()) if t.size else 0.0
    if control_pre is None or treatment_pre is None:
        return _welch(metric, "mean", mean_c, _var(c), c.size, mean_t, _var(t), t.size)
    xc = np.asarray(control_pre, dtype=float)
    xt = np.asarray(treatment_pre, dtype=float)
    x_all = np.concatenate([xc, xt])
    y_all = np.concatenate([c, t])
    var_x = _var(x_all)
    if not var_x > 0:  # nobody did anything before: CUPED has nothing to add
        return _welch(metric, "mean", mean_c, _var(c), c.size, mean_t, _var(t), t.size)
    theta = _cov(y_all, x_all) / var_x
    x_mean = float(x_all.mean())

    def adjusted(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
        mean = float(y.mean()) - theta * (float(x.mean()) - x_mean)
        var = _var(y) + theta * theta * _var(x) - 2 * theta * _cov(y, x)
        return mean, var

    (adj_c, var_c), (adj_t, var_t) = adjusted(c, xc), adjusted(t, xt)
    return _welch(metric, "mean", adj_c, var_c, c.size, adj_t, var_t, t.size, cuped=True)


def ratio_moments(numer: np.ndarray, denom: np.ndarray) -> tuple[float, float]:
    """The ratio of means and the delta-method variance of one person's contribution."""
    mean_n, mean_d = float(numer.mean()), float(denom.mean())
    if mean_d == 0:
        return 0.0, 0.0
    ratio = mean_n / mean_d
    var = (_var(numer) - 2 * ratio * _cov(numer, denom) + ratio**2 * _var(denom)) / mean_d**2
    return ratio, var


def ratio_metric(
    metric: str,
    control_numer: np.ndarray,
    control_denom: np.ndarray,
    treatment_numer: np.ndarray,
    treatment_denom: np.ndarray,
) -> Estimate:
    """Compare sum(numer) / sum(denom) between arms, one (numer, denom) pair per person.

    Only people with a non-zero denominator take part (a visitor with no order has no
    order value), which is what "revenue per order" means.
    """
    parts = []
    for numer, denom in ((control_numer, control_denom), (treatment_numer, treatment_denom)):
        n = np.asarray(numer, dtype=float)
        d = np.asarray(denom, dtype=float)
        keep = d > 0
        parts.append((n[keep], d[keep]))
    (nc, dc), (nt, dt) = parts
    if nc.size == 0 or nt.size == 0:
        ratio_c = float(nc.sum() / dc.sum()) if dc.size else 0.0
        ratio_t = float(nt.sum() / dt.sum()) if dt.size else 0.0
        return Estimate(metric, ratio_c, ratio_t, nc.size, nt.size, method="ratio")
    ratio_c, var_c = ratio_moments(nc, dc)
    ratio_t, var_t = ratio_moments(nt, dt)
    return _welch(metric, "ratio", ratio_c, var_c, nc.size, ratio_t, var_t, nt.size)


def holm(p_values: Mapping[str, float | None]) -> dict[str, float | None]:
    """Holm's step-down adjusted p-values (family-wise error at ALPHA, any dependence).

    p_(i) adjusted = max over j <= i of min(1, (m - j + 1) p_(j)); untestable metrics
    (None) are not counted as hypotheses.
    """
    testable = sorted((p, k) for k, p in p_values.items() if p is not None)
    m = len(testable)
    adjusted: dict[str, float | None] = {k: None for k, p in p_values.items() if p is None}
    running = 0.0
    for i, (p, key) in enumerate(testable):
        running = max(running, min(1.0, (m - i) * p))
        adjusted[key] = running
    return adjusted


def correct(estimates: Mapping[str, Estimate], primary: str) -> dict[str, Estimate]:
    """The primary metric keeps its p-value; the others get Holm-adjusted ones."""
    secondary = holm({k: e.p_value for k, e in estimates.items() if k != primary})
    return {
        k: (e if k == primary else replace(e, adjusted_p=secondary[k]))
        for k, e in estimates.items()
    }


@dataclass(frozen=True)
class SampleRatio:
    """Did the split come out as designed? A mismatch means the results are not usable."""

    control: int
    treatment: int
    expected_control_share: float
    p_value: float | None

    @property
    def observed_control_share(self) -> float | None:
        total = self.control + self.treatment
        return self.control / total if total else None

    @property
    def mismatch(self) -> bool:
        return self.p_value is not None and self.p_value < SRM_ALPHA


def sample_ratio(control: int, treatment: int, control_share: float) -> SampleRatio:
    """Exact binomial test of the control count against the designed share."""
    total = control + treatment
    p_value = None
    if total:
        p_value = float(stats.binomtest(control, total, control_share).pvalue)
    return SampleRatio(control, treatment, control_share, p_value)


def planned_sample_size(
    mean: float,
    variance: float,
    relative_mde: float,
    control_share: float,
    power: float = POWER,
) -> int | None:
    """People (both arms together) needed to detect a relative change of `relative_mde`
    on a metric with this per-person mean and variance, at ALPHA two-sided and `power`,
    with `control_share` of them in control (normal approximation).

    For a rate p the variance is p (1 - p). None when nothing can be detected (mean 0,
    no variance, or a share outside (0, 1)).
    """
    if not (mean > 0 and variance > 0 and relative_mde > 0 and 0 < control_share < 1):
        return None
    z = float(stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(power))
    effect = relative_mde * mean
    total = z * z * variance * (1 / control_share + 1 / (1 - control_share)) / effect**2
    return math.ceil(total)


def rate_variance(rate: float) -> float:
    """The per-person variance of a yes/no metric with this rate."""
    return rate * (1 - rate)
