"""Where one shopper stands against the population's breakpoints (pure functions).

The breakpoints are computed in batch by `population`; rules compare a profile against
them per request without a query.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

import numpy as np

from personalization_plugin.profiles.profile import Profile


def rfm_scores(pop: dict[str, Any], profile: Profile, now: float) -> tuple[int, int, int] | None:
    """(recency, frequency, monetary) quintile scores 1-5 (5 best); None for non-buyers or
    before the first batch."""
    if not pop or profile.order_count == 0:
        return None
    days = profile.days_since_last_order(now) or 0.0
    recency = 5 - bisect_left(pop["recency_days"], days)
    frequency = 1 + bisect_left(pop["frequency"], profile.order_count)
    monetary = 1 + bisect_left(pop["monetary"], profile.spend)
    return recency, frequency, monetary


def spend_threshold(pop: dict[str, Any], percent: float) -> float | None:
    """The spend at which a customer is in the top `percent`% (None before the first batch)."""
    table = pop.get("spend_percentiles") if pop else None
    if not table:
        return None
    return float(np.interp(100.0 - percent, np.arange(101), table))
