"""The lifetime-value model recovers what it is given: customers simulated by the BG/NBD
story (Poisson purchases at a gamma-distributed rate, each one followed by dropping out
with a beta-distributed probability) with gamma-distributed order values."""

from __future__ import annotations

import numpy as np
import pytest

from personalization_plugin.reports import customer_value as cv

R, ALPHA, A, B = 0.6, 8.0, 1.6, 3.5


def simulate(n: int, days: int, seed: int) -> dict[str, dict[int, float]]:
    rng = np.random.default_rng(seed)
    history: dict[str, dict[int, float]] = {}
    for c in range(n):
        rate, drop = rng.gamma(R, 1 / ALPHA), rng.beta(A, B)
        spend = rng.gamma(6, 5)  # this customer's mean order value
        t = float(rng.integers(0, days // 2))
        orders = {int(t): float(rng.gamma(20, spend / 20))}
        while True:
            t += rng.exponential(1 / rate)
            if t >= days:
                break
            orders[int(t)] = float(rng.gamma(20, spend / 20))
            if rng.random() < drop:
                break
        history[f"c{c}"] = orders
    return history


def test_the_fit_recovers_the_simulated_purchase_process():
    history = simulate(2000, 365, seed=3)
    model = cv.fit(cv.History.from_days(history, 364))
    assert model is not None
    assert model.r == pytest.approx(R, rel=0.25)
    assert model.alpha == pytest.approx(ALPHA, rel=0.35)
    assert model.a == pytest.approx(A, rel=0.5)
    assert model.b == pytest.approx(B, rel=0.5)


def test_the_holdout_error_of_a_well_specified_model_is_small():
    history = simulate(2000, 365, seed=5)
    check = cv.holdout(history, 364, 60)
    assert check is not None and check.customers > 1500
    assert abs(check.orders_error) < 0.2
    assert abs(check.revenue_error) < 0.25


def test_expected_value_shrinks_a_customers_mean_toward_the_store():
    history = simulate(2000, 365, seed=7)
    h = cv.History.from_days(history, 364)
    model = cv.fit(h)
    assert model is not None
    value = model.expected_value(h)
    repeat = h.x > 0
    population = float(h.m[repeat].mean())
    # between the customer's own mean and the population's, for every repeat customer
    lo = np.minimum(h.m[repeat], population) - 1e-6
    hi = np.maximum(h.m[repeat], population) + 1e-6
    assert ((value[repeat] >= lo * 0.8) & (value[repeat] <= hi * 1.2)).all()


def test_too_few_customers_give_no_model():
    history = {f"c{k}": {0: 10.0, 5: 12.0} for k in range(cv.MIN_CUSTOMERS - 1)}
    assert cv.fit(cv.History.from_days(history, 30)) is None
    assert cv.holdout(history, 30, 10) is None
