"""Attribution window edges: a click at most N days before the purchase, same product."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin.experiments.attribution import attributed_purchases
from personalization_plugin.models import Event

from .factories import event

pytestmark = pytest.mark.django_db


def _attributed(
    click_offset: timedelta, *, product="A", bought="A", visitor="v1", placement="for_you"
):
    bought_at = timezone.now() - timedelta(hours=1)
    Event.objects.bulk_create(
        [
            event(
                "click", "v1", product_id=product, placement=placement, at=bought_at - click_offset
            ),
            event(
                "purchase", visitor, product_id=bought, price="10.00", order_id="o", at=bought_at
            ),
        ]
    )
    return attributed_purchases(window_days=7).count()


def test_a_click_exactly_at_the_window_edge_counts():
    assert _attributed(timedelta(days=7)) == 1


def test_a_click_one_second_before_the_window_does_not_count():
    assert _attributed(timedelta(days=7, seconds=1)) == 0


def test_a_click_at_the_moment_of_purchase_counts():
    assert _attributed(timedelta(0)) == 1


def test_a_click_after_the_purchase_does_not_count():
    assert _attributed(-timedelta(seconds=1)) == 0


def test_a_click_on_another_product_does_not_count():
    assert _attributed(timedelta(days=1), product="B") == 0


def test_another_visitors_click_does_not_count():
    assert _attributed(timedelta(days=1), visitor="v2") == 0


def test_placement_filter_limits_to_clicks_there():
    _attributed(timedelta(days=1), placement="similar")
    assert attributed_purchases(window_days=7, placement="for_you").count() == 0
    assert attributed_purchases(window_days=7, placement="similar").count() == 1
