"""A/A experiments by simulation: false-positive rate and power of the real analysis.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/experiments_aa.py [--runs 1000]

Each simulated experiment draws a population with realistic, correlated traffic:
every person has their own click propensity (Beta), several sessions (1 + Poisson),
several impressions per session, a purchase intent (log-normal) that drives both their
pre-experiment and in-experiment orders, and skewed order values (log-normal, a few
big baskets). People get arms from the real hash bucketing (`bucketing.arms_of` on
random visitor ids), the sample size is planned by the real planner
(`planning.metric_moments` + `statistics.planned_sample_size`) from a pre-period sample,
and each experiment is analysed once, at its planned size (the fixed horizon), by the
real `metrics.evaluate` (per-person Welch, CUPED, delta-method ratios, Holm, SRM).

Printed:
  false positives  share of A/A runs where the primary metric is "significant"
                   (target 5 % +/- 1.5 %), and every other metric's raw rate;
  per impression   the old two-proportion z-test on clicks / impressions, on the same
                   runs: what the page used to claim (far above 5 %);
  power            share of runs with a true lift of the minimum detectable effect
                   injected into treatment's purchase intent that are detected.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


@dataclass(frozen=True)
class Traffic:
    """The generative model of one store's traffic (per person)."""

    sessions_mean: float = 2.0  # sessions = 1 + Poisson(this)
    impressions_per_session: int = 6
    click_alpha: float = 1.0  # click propensity ~ Beta(alpha, beta): mean 1 / 13
    click_beta: float = 12.0
    intent_sigma: float = 1.0  # purchase intent ~ LogNormal(0, sigma), shared pre/during
    base_order_rate: float = 0.035  # per session, times intent
    cart_rate: float = 0.12  # per session, times intent
    order_value_mu: float = 3.6  # order value ~ LogNormal(mu, sigma): median about 37
    order_value_sigma: float = 1.0


def simulate_people(
    rng: np.random.Generator,
    n: int,
    traffic: Traffic,
    lift: float = 0.0,
    treated: np.ndarray | None = None,
    keys: list[str] | None = None,
):
    """Per-person columns for `n` people; `lift` multiplies the purchase intent of the
    `treated` mask during the experiment (0 for an A/A run)."""
    from personalization_plugin.experiments.metrics import People

    t = traffic
    intent = rng.lognormal(-(t.intent_sigma**2) / 2, t.intent_sigma, n)
    propensity = rng.beta(t.click_alpha, t.click_beta, n)

    def period(intent_now: np.ndarray) -> dict[str, np.ndarray]:
        sessions = 1 + rng.poisson(t.sessions_mean, n)
        impressions = sessions * t.impressions_per_session
        clicks = rng.binomial(impressions, propensity)
        carts = rng.binomial(sessions, np.minimum(1.0, t.cart_rate * intent_now))
        orders = rng.binomial(sessions, np.minimum(1.0, t.base_order_rate * intent_now))
        values = np.zeros(n)
        buyers = orders > 0
        total = orders[buyers]
        # the sum of `k` log-normal order values, drawn per order
        drawn = rng.lognormal(t.order_value_mu, t.order_value_sigma, int(total.sum()))
        values[buyers] = np.add.reduceat(drawn, np.r_[0, np.cumsum(total)[:-1]])
        return {
            "impressions": impressions.astype(float),
            "clicks": clicks.astype(float),
            "carts": carts.astype(float),
            "orders": orders.astype(float),
            "revenue": values,
        }

    before = period(intent)
    during_intent = intent if treated is None else np.where(treated, intent * (1 + lift), intent)
    during = period(during_intent)
    columns = dict(during)
    columns["attributed"] = np.zeros(n)
    columns["pre_carts"] = before["carts"]
    columns["pre_orders"] = before["orders"]
    columns["pre_revenue"] = before["revenue"]
    return People(keys or [""] * n, columns, has_pre=True)


def plan(traffic: Traffic, metric: str, mde: float, holdout: float, seed: int = 0) -> int:
    """The planned sample size, from a 20,000-person pre-period sample, by the real planner."""
    from personalization_plugin.experiments.planning import metric_moments
    from personalization_plugin.experiments.statistics import planned_sample_size

    people = simulate_people(np.random.default_rng(seed), 20_000, traffic)
    pre = {
        "carts": people.columns["pre_carts"],
        "orders": people.columns["pre_orders"],
        "revenue": people.columns["pre_revenue"],
        "impressions": people.columns["impressions"],
        "clicks": people.columns["clicks"],
    }
    moments = metric_moments(metric, pre)
    assert moments is not None
    planned = planned_sample_size(moments[0], moments[1], mde, holdout / 100)
    assert planned is not None
    return planned


@dataclass
class Outcome:
    runs: int
    planned: int
    primary_rate: float  # share of runs with a significant primary metric
    metric_rates: dict[str, float]  # raw (unadjusted) p < ALPHA per metric
    per_impression_rate: float  # the old impression-level z-test on CTR
    realised_lift: float  # mean relative difference of the primary metric, treatment vs control
    seconds: float


def _per_impression_z(people, in_control: np.ndarray) -> float:
    """The old test: clicks and impressions pooled as if every impression were independent."""
    from scipy import stats

    c, t = in_control, ~in_control
    clicks, imps = people.columns["clicks"], people.columns["impressions"]
    kc, nc, kt, nt = clicks[c].sum(), imps[c].sum(), clicks[t].sum(), imps[t].sum()
    pooled = (kc + kt) / (nc + nt)
    se = math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt))
    return float(2 * stats.norm.sf(abs((kt / nt - kc / nc) / se)))


def run(
    runs: int,
    *,
    metric: str = "conversion_rate",
    mde: float = 0.3,
    holdout: float = 50.0,
    lift: float = 0.0,
    seed: int = 1,
    traffic: Traffic | None = None,
) -> Outcome:
    """`runs` simulated experiments at the planned size, analysed by `metrics.evaluate`.

    lift=0 is an A/A run (every "significant" primary result is a false positive);
    lift=mde injects the minimum detectable effect into treatment's purchase intent.
    """
    from personalization_plugin.experiments import statistics
    from personalization_plugin.experiments.bucketing import arms_of
    from personalization_plugin.experiments.metrics import METRIC_ORDER, Design, evaluate

    traffic = traffic or Traffic()
    planned = plan(traffic, metric, mde, holdout)
    design = Design(metric, holdout, planned)
    rng = np.random.default_rng(seed)
    significant = 0
    per_metric = dict.fromkeys(METRIC_ORDER, 0)
    per_impression = 0
    lifts: list[float] = []
    started = time.process_time()
    for i in range(runs):
        keys = [os.urandom(16).hex() for _ in range(planned)]
        in_control = arms_of(10_000 + i, keys, holdout)
        people = simulate_people(rng, planned, traffic, lift, treated=~in_control, keys=keys)
        result = evaluate(people, in_control, design)
        significant += result.primary_significant
        primary = result.estimates[metric]
        if primary.control:  # raw means, before CUPED
            raw_c = getattr(result.control, metric)
            raw_t = getattr(result.treatment, metric)
            lifts.append(raw_t / raw_c - 1 if raw_c else 0.0)
        for name, est in result.estimates.items():
            per_metric[name] += est.p_value is not None and est.p_value < statistics.ALPHA
        per_impression += _per_impression_z(people, in_control) < statistics.ALPHA
    return Outcome(
        runs=runs,
        planned=planned,
        primary_rate=significant / runs,
        metric_rates={k: v / runs for k, v in per_metric.items()},
        per_impression_rate=per_impression / runs,
        realised_lift=float(np.mean(lifts)) if lifts else 0.0,
        seconds=time.process_time() - started,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--power-runs", type=int, default=500)
    parser.add_argument("--mde", type=float, default=0.2, help="relative, e.g. 0.2 = 20 %")
    parser.add_argument("--holdout", type=float, default=30.0)
    parser.add_argument("--metric", default="conversion_rate")
    args = parser.parse_args()

    import django

    django.setup()
    from scipy import stats

    aa = run(args.runs, metric=args.metric, mde=args.mde, holdout=args.holdout)
    # A 99 % interval for the observed rate if the true rate were exactly 5 %.
    lo, hi = (stats.binom.ppf(q, aa.runs, 0.05) / aa.runs for q in (0.005, 0.995))
    print(
        f"A/A: {aa.runs} experiments of {aa.planned:,} people each (planned for a "
        f"{args.mde:.0%} lift, {args.holdout:.0f}% control), {aa.seconds:.1f} s CPU"
    )
    print(
        f"  false positives, primary metric ({args.metric}): {aa.primary_rate:.1%} "
        f"(target 5% +/- 1.5%; sampling noise alone spans {lo:.1%}-{hi:.1%})"
    )
    for name, rate in aa.metric_rates.items():
        print(f"    {name:<22} raw p < 0.05 in {rate:.1%} of runs")
    print(f"  old per-impression z-test on CTR: {aa.per_impression_rate:.1%} false positives")
    power = run(
        args.power_runs, metric=args.metric, mde=args.mde, holdout=args.holdout, lift=args.mde
    )
    print(
        f"Power: {args.mde:.0%} more purchase intent injected (a {power.realised_lift:.1%} "
        f"lift in {args.metric}), {power.runs} experiments at the planned size: detected "
        f"in {power.primary_rate:.1%} (planned: 80% for a {args.mde:.0%} lift), "
        f"{power.seconds:.1f} s CPU"
    )


if __name__ == "__main__":
    main()
