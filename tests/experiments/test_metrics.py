"""Per-arm metrics and significance on a fixed, hand-built fixture.

Control (4 visitors, 200 impressions, 10 clicks, 2 carts, 1 order of 40.00) against
treatment (5 visitors, 200 impressions, 24 clicks, 4 carts, 3 orders worth 120.00 of
which 90.00 follow a click within the 7-day window). Every expected number below is
computed by hand from those counts.
"""

from __future__ import annotations

import math
import statistics as pystats
from datetime import timedelta

import pytest
from django.utils import timezone
from scipy import stats

from personalization_plugin.experiments.metrics import analyse
from personalization_plugin.models import Event

from .factories import event, running_experiment, visitors_in

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _impressions(vid: str, n: int, at):
    return [
        event("impression", vid, product_id=f"p{i}", placement="for_you", at=at) for i in range(n)
    ]


def _clicks(vid: str, n: int, at, product="p0"):
    return [event("click", vid, product_id=product, placement="for_you", at=at) for _ in range(n)]


@pytest.fixture
def result():
    now = timezone.now()
    experiment = running_experiment(holdout_percent=50, attribution_days=7)
    c = visitors_in(experiment, "control", 4, "c")
    t = visitors_in(experiment, "treatment", 5, "t")
    seen = now - 3 * DAY
    rows = []
    for vid in c:
        rows += _impressions(vid, 50, seen)
    for vid in t:
        rows += _impressions(vid, 40, seen)
    # control: clicks 5+3+2+0, carts by c0 and c1, one attributed order of 40.00 by c0
    rows += _clicks(c[0], 4, seen) + _clicks(c[0], 1, now - 2 * DAY, product="A")
    rows += _clicks(c[1], 3, seen) + _clicks(c[2], 2, seen)
    rows += [event("cart_add", c[0], product_id="A"), event("cart_add", c[1])]
    rows += [event("purchase", c[0], product_id="A", price="40.00", order_id="o1", at=now - DAY)]
    # treatment: clicks 8+6+5+5+0, carts by t0..t3
    rows += _clicks(t[0], 7, seen) + _clicks(t[0], 1, now - 2 * DAY, product="A")
    rows += _clicks(t[1], 5, seen) + _clicks(t[1], 1, now - 3 * DAY, product="B")
    rows += _clicks(t[2], 4, seen) + _clicks(t[2], 1, now - 9 * DAY, product="C")
    rows += _clicks(t[3], 5, seen)
    rows += [event("cart_add", v) for v in t[:4]]
    rows += [
        # t0: one order, two lines; only A was clicked -> 30.00 attributed
        event(
            "purchase", t[0], product_id="A", price="15.00", quantity=2, order_id="o2", at=now - DAY
        ),
        event("purchase", t[0], product_id="Z", price="20.00", order_id="o2", at=now - DAY),
        # t1: clicked B three days before -> 60.00 attributed
        event("purchase", t[1], product_id="B", price="60.00", order_id="o3", at=now - DAY),
        # t2: clicked C eight days before buying: outside the 7-day window
        event("purchase", t[2], product_id="C", price="10.00", order_id="o4", at=now - DAY),
    ]
    # noise that must not count: a buyer who never saw the placement, and events
    # from before the experiment started
    rows += [event("purchase", "stranger", product_id="A", price="99.00", order_id="o5")]
    rows += _impressions(c[3], 7, now - 30 * DAY)
    rows += [event("purchase", c[3], price="500.00", order_id="o6", at=now - 30 * DAY)]
    Event.objects.bulk_create(rows)
    return analyse(experiment)


def test_counts_per_arm(result):
    control, treatment = result.control, result.treatment
    assert (control.visitors, control.impressions, control.clicks) == (4, 200, 10)
    assert (treatment.visitors, treatment.impressions, treatment.clicks) == (5, 200, 24)
    assert (control.cart_visitors, control.converters, control.orders) == (2, 1, 1)
    assert (treatment.cart_visitors, treatment.converters, treatment.orders) == (4, 3, 3)


def test_rates_per_arm(result):
    control, treatment = result.control, result.treatment
    assert control.ctr == pytest.approx(0.05)
    assert treatment.ctr == pytest.approx(0.12)
    assert control.add_to_cart_rate == pytest.approx(0.5)
    assert treatment.add_to_cart_rate == pytest.approx(0.8)
    assert control.conversion_rate == pytest.approx(0.25)
    assert treatment.conversion_rate == pytest.approx(0.6)


def test_revenue_per_arm(result):
    control, treatment = result.control, result.treatment
    assert control.revenue == pytest.approx(40.0)
    assert treatment.revenue == pytest.approx(120.0)
    assert control.revenue_per_visitor == pytest.approx(10.0)
    assert treatment.revenue_per_visitor == pytest.approx(24.0)
    assert control.average_order_value == pytest.approx(40.0)
    assert treatment.average_order_value == pytest.approx(40.0)


def test_attributed_revenue_needs_a_click_on_the_product_within_the_window(result):
    assert result.control.attributed_revenue == pytest.approx(40.0)
    assert result.treatment.attributed_revenue == pytest.approx(30.0 + 60.0)


def test_ctr_lift_and_two_proportion_z_test_match_the_formula(result):
    ctr = result.comparisons["ctr"]
    pooled = (10 + 24) / (200 + 200)
    se = math.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 200))
    z = (24 / 200 - 10 / 200) / se
    p = math.erfc(abs(z) / math.sqrt(2))
    assert ctr.lift == pytest.approx((0.12 - 0.05) / 0.05)
    assert ctr.statistic == pytest.approx(z)
    assert ctr.p_value == pytest.approx(p)
    assert ctr.significant  # z = 2.49, p = 0.013
    assert (ctr.n_control, ctr.n_treatment) == (200, 200)


def test_conversion_with_four_and_five_visitors_is_not_significant(result):
    conv = result.comparisons["conversion_rate"]
    pooled = (1 + 3) / (4 + 5)
    z = (3 / 5 - 1 / 4) / math.sqrt(pooled * (1 - pooled) * (1 / 4 + 1 / 5))
    assert conv.statistic == pytest.approx(z)
    assert conv.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert not conv.significant


def test_revenue_per_visitor_uses_welch_t(result):
    control, treatment = [40.0, 0, 0, 0], [50.0, 60.0, 10.0, 0, 0]
    vc = pystats.variance(control) / 4
    vt = pystats.variance(treatment) / 5
    t = (pystats.mean(treatment) - pystats.mean(control)) / math.sqrt(vc + vt)
    dof = (vc + vt) ** 2 / (vc**2 / 3 + vt**2 / 4)
    p = 2 * stats.t.sf(abs(t), dof)
    rpv = result.comparisons["revenue_per_visitor"]
    assert rpv.test == "welch"
    assert rpv.statistic == pytest.approx(t)
    assert rpv.p_value == pytest.approx(p)
    assert rpv.lift == pytest.approx((24 - 10) / 10)


def test_an_experiment_without_traffic_has_zero_rates_and_no_test():
    result = analyse(running_experiment())
    assert result.control.visitors == 0 and result.treatment.ctr == 0.0
    assert result.comparisons["ctr"].p_value is None
    assert result.comparisons["revenue_per_visitor"].p_value is None
