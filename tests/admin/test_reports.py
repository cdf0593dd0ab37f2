"""Dashboard queries on hand-built events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin.models import Event, PrivacyChoice
from personalization_plugin.reports import dashboard as reports
from personalization_plugin.reports import rollups
from tests.experiments.factories import event

pytestmark = pytest.mark.django_db


def test_events_per_day_counts_each_type_on_its_day():
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    Event.objects.bulk_create(
        [event("view", "a", at=yesterday) for _ in range(3)]
        + [event("view", "b", at=now)]
        + [event("purchase", "a", price="5", order_id="o", at=now)]
        + [event("view", "old", at=now - timedelta(days=40))]
    )
    rollups.refresh()
    series = reports.events_per_day(30)
    assert sum(series["view"].values()) == 4
    assert series["view"][yesterday.date()] == 3
    assert series["purchase"] == {now.date(): 1}


def test_ctr_by_placement():
    Event.objects.bulk_create(
        [event("impression", "a", placement="similar") for _ in range(8)]
        + [event("click", "a", placement="similar") for _ in range(2)]
        + [event("impression", "a", placement="for_you") for _ in range(4)]
    )
    rollups.refresh()  # an hour ago may be yesterday: closed days are read from roll-ups
    stats = {p.placement: p for p in reports.ctr_by_placement(30)}
    assert stats["similar"].ctr == 0.25
    assert stats["for_you"].ctr == 0.0


def test_revenue_per_day_splits_out_attributed_revenue():
    now = timezone.now()
    Event.objects.bulk_create(
        [
            event("click", "a", product_id="A", placement="for_you", at=now - timedelta(days=2)),
            event("purchase", "a", product_id="A", price="30", quantity=2, order_id="o1", at=now),
            event("purchase", "b", product_id="B", price="15", order_id="o2", at=now),
        ]
    )
    rollups.refresh()
    today = reports.revenue_per_day(7)[-1]
    assert today.day == now.date()
    assert (today.revenue, today.attributed) == (75.0, 60.0)


def test_consent_rate():
    PrivacyChoice.objects.create(subject="v:a", consent="granted")
    PrivacyChoice.objects.create(subject="v:b", consent="granted")
    PrivacyChoice.objects.create(subject="v:c", consent="denied")
    stats = reports.consent()
    assert (stats.granted, stats.denied) == (2, 1)
    assert stats.rate == pytest.approx(2 / 3)


def test_consent_rate_is_unknown_before_any_choice():
    assert reports.consent().rate is None


def test_data_health_counts_recent_events_and_recommended_products(personalization):
    personalization(ADAPTER="tests.serving.adapter.TestAdapter")
    from tests.serving.adapter import TestAdapter
    from tests.serving.conftest import product

    TestAdapter.products = {str(i): product(i) for i in range(1, 11)}
    now = timezone.now()
    Event.objects.bulk_create(
        [event("impression", "a", product_id=str(i), placement="for_you") for i in (1, 2, 2, 3)]
        + [event("view", "b", at=now - timedelta(days=3))]
    )
    for row in Event.objects.filter(type="impression"):
        row.occurred_at = now
        row.save()
    rollups.refresh()
    health = reports.data_health(7)
    assert health.events == 5 and health.events_today == 4
    assert health.visitors == 2
    assert (health.recommended_products, health.catalog_size) == (3, 10)
    assert health.coverage == pytest.approx(0.3)


def test_segment_sizes_come_from_the_segments_history():
    from personalization_plugin.segments.models import Segment, SegmentSize

    today = timezone.now().date()
    loyal = Segment.objects.create(name="Loyal", slug="loyal-test", rules={"rule": "repeat_buyer"})
    new = Segment.objects.create(name="New", slug="new-test", rules={"rule": "new_visitor"})
    for day, a, b in ((today - timedelta(days=1), 5, 50), (today, 7, 40)):
        SegmentSize.objects.create(segment=loyal, date=day, size=a, population=100)
        SegmentSize.objects.create(segment=new, date=day, size=b, population=100)
    sizes = reports.segment_sizes(30)
    assert sizes.available
    assert sizes.latest == [("New", 40), ("Loyal", 7)]
    assert sizes.history["Loyal"] == {today - timedelta(days=1): 5, today: 7}


def test_no_segment_sizes_yet_is_an_empty_list():
    assert reports.segment_sizes(30).latest == []


def test_summary_for_the_home_panel():
    Event.objects.bulk_create(
        [event("impression", "a", placement="for_you") for _ in range(4)]
        + [event("click", "a", placement="for_you")]
    )
    rollups.refresh()  # an hour ago may be yesterday: closed days are read from roll-ups
    summary = reports.summary()
    assert summary.events == 5 and summary.ctr == 0.25
    assert summary.model is None and summary.running_experiments == 0
