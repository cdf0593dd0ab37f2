"""Predicted customer lifetime value: BG/NBD (how often, until when) x Gamma-Gamma (how much).

Fitted by maximum likelihood with scipy on the store's own orders (one transaction per
customer and day with an order, as `lifetimes` counts them). Why scipy and not a library:
`lifetimes` is archived, `btyd` (its fork) is a 2022 beta, and PyMC-Marketing pulls in
PyMC and PyTensor (a compiler toolchain) for what is two closed-form likelihoods here.

References: Fader, Hardie and Lee, "Counting Your Customers the Easy Way" (2005) for
BG/NBD; Fader and Hardie, "The Gamma-Gamma Model of Monetary Value" (2013).

Inputs per customer, in days: `x` repeat transactions (days with an order after the
first), `t_x` the age of the last one (from the first), `T` the customer's age at the
end of the calibration, `m` the mean value of the repeat transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

MIN_CUSTOMERS = 20  # fewer buyers than this: no fit (the parameters would be noise)
MIN_REPEATERS = 5
BOUNDS = [(-12.0, 12.0)] * 4  # log-parameters: keeps the optimizer off overflow


@dataclass(frozen=True)
class History:
    """Per-customer summaries at the end of a calibration period (numpy arrays)."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray  # mean repeat transaction value (0 where x == 0)

    @classmethod
    def from_days(cls, days: dict[str, dict[int, float]], end: int) -> History:
        """`days`: customer -> {day number: that day's order revenue}; `end`: the day
        number of the calibration's last day (transactions after it are ignored)."""
        x, t_x, T, m = [], [], [], []
        for per_day in days.values():
            kept = sorted(d for d in per_day if d <= end)
            if not kept:
                continue
            first = kept[0]
            repeats = kept[1:]
            x.append(len(repeats))
            t_x.append(kept[-1] - first)
            T.append(end - first + 1)
            m.append(sum(per_day[d] for d in repeats) / len(repeats) if repeats else 0.0)
        return cls(np.array(x, float), np.array(t_x, float), np.array(T, float), np.array(m))

    def __len__(self) -> int:
        return len(self.x)


def _bgnbd_ll(params: np.ndarray, h: History) -> float:
    r, alpha, a, b = np.exp(params)
    x, t_x, T = h.x, h.t_x, h.T
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
    a2 = a2 - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return float(-(a1 + a2 + np.logaddexp(a3, a4)).sum())


def _gg_ll(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> float:
    p, q, v = np.exp(params)
    ll = (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )
    return float(-ll.sum())


@dataclass(frozen=True)
class Model:
    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    v: float

    def expected_transactions(self, h: History, t: float) -> np.ndarray:
        """E[transactions in the next `t` days | each customer's history] (BG/NBD)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, t_x, T = h.x, h.t_x, h.T
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        first = (a + b + x - 1) / (a - 1)
        first = first * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
        alive = 1 + (x > 0) * a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + t_x)) ** (
            r + x
        )
        return np.asarray(first / alive)

    def expected_value(self, h: History) -> np.ndarray:
        """E[value of a transaction | history] (Gamma-Gamma; the mean for new buyers)."""
        p, q, v = self.p, self.q, self.v
        return np.asarray((p * (v + h.x * h.m)) / (p * h.x + q - 1))

    def lifetime_value(self, h: History, t: float) -> np.ndarray:
        return self.expected_transactions(h, t) * self.expected_value(h)


def fit(h: History) -> Model | None:
    """Maximum-likelihood fit, or None when there are too few customers or repeaters
    (or the optimum is degenerate: a <= 1 or q <= 1 make the expectations undefined)."""
    repeat = h.x > 0
    if len(h) < MIN_CUSTOMERS or int(repeat.sum()) < MIN_REPEATERS:
        return None
    scale = max(float(h.T.mean()), 1.0)
    bg = optimize.minimize(
        _bgnbd_ll,
        np.log([1.0, scale, 2.0, 2.0]),
        args=(h,),
        method="L-BFGS-B",
        bounds=BOUNDS,
    )
    x, m = h.x[repeat], np.maximum(h.m[repeat], 0.01)
    gg = optimize.minimize(
        _gg_ll,
        np.log([2.0, 3.0, float(m.mean())]),
        args=(x, m),
        method="L-BFGS-B",
        bounds=BOUNDS[:3],
    )
    r, alpha, a, b = np.exp(bg.x)
    p, q, v = np.exp(gg.x)
    if not (np.isfinite([r, alpha, a, b, p, q, v]).all() and a > 1 and q > 1):
        return None
    return Model(float(r), float(alpha), float(a), float(b), float(p), float(q), float(v))


@dataclass(frozen=True)
class Holdout:
    """How the model did on days it did not see: fitted on orders up to `days` before
    the end, it predicted each of those customers' order days and revenue after."""

    days: int
    customers: int
    predicted_orders: float
    actual_orders: int
    predicted_revenue: float
    actual_revenue: float
    mean_absolute_error: float  # order days per customer

    @property
    def orders_error(self) -> float | None:
        """Relative error of the total (positive: the model over-predicted)."""
        if not self.actual_orders:
            return None
        return (self.predicted_orders - self.actual_orders) / self.actual_orders

    @property
    def revenue_error(self) -> float | None:
        if not self.actual_revenue:
            return None
        return (self.predicted_revenue - self.actual_revenue) / self.actual_revenue


def holdout(days: dict[str, dict[int, float]], end: int, length: int) -> Holdout | None:
    """Fit on day numbers <= end - length, compare with the last `length` days."""
    cut = end - length
    calibration: dict[str, dict[int, float]] = {
        c: per_day for c, per_day in days.items() if min(per_day) <= cut
    }
    h = History.from_days(calibration, cut)
    model = fit(h)
    if model is None:
        return None
    actual_orders = np.array(
        [sum(1 for d in per_day if cut < d <= end) for per_day in calibration.values()], float
    )
    actual_revenue = sum(
        v for per_day in calibration.values() for d, v in per_day.items() if cut < d <= end
    )
    predicted = model.expected_transactions(h, length)
    value = model.expected_value(h)
    return Holdout(
        days=length,
        customers=len(h),
        predicted_orders=float(predicted.sum()),
        actual_orders=int(actual_orders.sum()),
        predicted_revenue=float((predicted * value).sum()),
        actual_revenue=float(actual_revenue),
        mean_absolute_error=float(np.abs(predicted - actual_orders).mean()),
    )
