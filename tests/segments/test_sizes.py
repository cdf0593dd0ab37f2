"""Sizes over time: the batch command stores one row per segment and day."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from personalization_plugin.segments import sizes
from personalization_plugin.segments.models import Segment, SegmentSize

from .factories import event, orders

pytestmark = pytest.mark.django_db


def test_compute_stores_a_size_per_segment_for_today():
    orders("1", [40, 20])
    orders("2", [10])
    event("view", visitor="a", product_id="1", days_ago=0)
    results = {r["slug"]: r for r in sizes.compute()}
    assert results["repeat-buyers"]["size"] == 1
    assert results["first-time-buyers"]["size"] == 1
    assert results["new-visitors"]["size"] == 1
    assert results["repeat-buyers"]["population"] == 3
    assert SegmentSize.objects.get(segment__slug="repeat-buyers").size == 1


def test_recomputing_the_same_day_replaces_the_row():
    orders("1", [40, 20])
    sizes.compute()
    orders("2", [30, 5])
    sizes.compute()
    rows = SegmentSize.objects.filter(segment__slug="repeat-buyers")
    assert [r.size for r in rows] == [2]


def test_context_dependent_segments_are_flagged():
    Segment.objects.create(
        name="Mobile", slug="mobile", rules={"rule": "device", "devices": ["mobile"]}
    )
    results = {r["slug"]: r for r in sizes.compute()}
    assert results["mobile"]["context_dependent"] and results["mobile"]["size"] == 0
    assert not results["loyal"]["context_dependent"]


def test_history_lists_enabled_segments_with_their_points():
    orders("1", [40, 20])
    sizes.compute()
    history = {h["slug"]: h for h in sizes.history()}
    point = history["repeat-buyers"]["points"][0]
    assert point["size"] == 1 and point["population"] == 1 and len(point["date"]) == 10
    assert list(history)[0] == "cart-abandoners"  # highest priority first


def test_value_rules_use_the_breakpoints_the_batch_stored():
    from personalization_plugin.segments.engine import slugs_for
    from personalization_plugin.tracking.identity import Visitor

    for n in range(10):
        orders(str(n), [5], total=str(10 * (n + 1)))
    visitor = Visitor(visitor_id="x", customer_id="9")
    assert "big-spenders" not in slugs_for(visitor=visitor)  # no breakpoints yet
    sizes.compute()
    from personalization_plugin.profiles import store
    from personalization_plugin.segments import engine

    store.clear_local()
    engine.forget_definitions()
    assert "big-spenders" in slugs_for(visitor=visitor)
    assert "big-spenders" not in slugs_for(visitor=Visitor(visitor_id="y", customer_id="0"))


def test_command_prints_sizes(capsys):
    orders("1", [40, 20])
    call_command("personalization_segments")
    out = capsys.readouterr().out
    assert "repeat-buyers" in out and "Stored sizes of 9 segments." in out


def test_command_dry_run_stores_nothing(capsys):
    orders("1", [40, 20])
    call_command("personalization_segments", "--dry-run")
    assert not SegmentSize.objects.exists()
