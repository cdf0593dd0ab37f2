"""Daily roll-ups: the report pages read them, and they agree with the events."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from personalization_plugin.experiments.models import DailyActivity, DailyRollup, RollupDay
from personalization_plugin.models import Event
from personalization_plugin.reports import dashboard as reports
from personalization_plugin.reports import rollups
from tests.experiments.factories import event

pytestmark = pytest.mark.django_db


def _noon(days_ago: int):
    day = rollups.today() - timedelta(days=days_ago)
    return rollups.bounds(day)[0] + timedelta(hours=12)


@pytest.fixture
def history():
    """Views, recommendations and orders spread over 100 days, today included."""
    rows = []
    for ago in (0, 1, 3, 6, 7, 12, 29, 30, 45, 89, 95):
        at = _noon(ago)
        who = f"shopper-{ago % 4}"
        rows += [event("view", who, product_id=f"p{ago}", at=at) for _ in range(3)]
        rows += [event("impression", who, product_id=f"p{ago}", placement="for_you", at=at)]
        rows += [event("click", who, product_id=f"p{ago}", placement="for_you", at=at)]
        rows += [
            event(
                "purchase",
                who,
                product_id=f"p{ago}",
                price="10.00",
                order_id=f"o{ago}",
                at=at + timedelta(minutes=5),
            ),
            event(
                "purchase",
                who,
                product_id="other",
                price="5.00",
                order_id=f"o{ago}",
                at=at + timedelta(minutes=5),
            ),
        ]
    Event.objects.bulk_create(rows)
    return rows


def _direct(days: int) -> dict[str, float]:
    """The same figures straight from the events (what the roll-ups must equal)."""
    start = rollups.bounds(rollups.today() - timedelta(days=days - 1))[0]
    events = Event.objects.filter(occurred_at__gte=start)
    purchases = events.filter(type="purchase")
    return {
        "events": events.count(),
        "views": events.filter(type="view").count(),
        "revenue": float(sum(e.price * e.quantity for e in purchases)),
        "people": events.values("visitor_id").distinct().count(),
    }


@pytest.mark.parametrize("days", [7, 30, 90])
def test_every_figure_of_a_period_matches_the_events_of_that_period(history, days):
    rollups.refresh()
    figures = rollups.period(days)
    direct = _direct(days)
    health = reports.data_health(days, figures)
    assert health.events == direct["events"]
    assert figures.total("view") == direct["views"]
    assert figures.total_revenue == pytest.approx(direct["revenue"])
    assert health.visitors == direct["people"]
    # the click on the same product precedes each 10.00 line: attributed; 5.00 is not
    assert figures.attributed_revenue == pytest.approx(direct["revenue"] * 10 / 15)


def test_the_home_panel_and_the_dashboard_agree_on_revenue_after_a_click(history):
    rollups.refresh()
    home = reports.summary()
    week = rollups.period(7)
    assert home.days == 7
    assert home.attributed_revenue == pytest.approx(week.attributed_revenue)
    assert home.impressions == week.total("impression")


def test_today_is_live_without_any_roll_up(history):
    Event.objects.bulk_create([event("view", "late", at=timezone.now())])
    figures = rollups.period(7)
    assert figures.events["view"][rollups.today()] == 3 + 1
    assert not RollupDay.objects.filter(day=rollups.today()).exists()


def test_refresh_is_incremental(history):
    first = rollups.refresh()
    assert first[0] == rollups.today() - timedelta(days=95)
    assert first[-1] == rollups.today() - timedelta(days=1)
    assert rollups.refresh() == []  # nothing changed
    # A late event for 45 days ago re-rolls that day and the 7 after it (attribution).
    Event.objects.bulk_create([event("view", "late", at=_noon(45))])
    again = rollups.refresh()
    assert again == [rollups.today() - timedelta(days=45 - k) for k in range(8)]
    day = rollups.today() - timedelta(days=45)
    assert DailyRollup.objects.get(day=day, type="view").events == 4


def test_the_command_rolls_up_and_rebuilds(history):
    out = io.StringIO()
    call_command("personalization_rollup", stdout=out)
    assert "Rolled up" in out.getvalue()
    call_command("personalization_rollup", stdout=out)
    assert "up to date" in out.getvalue()
    call_command("personalization_rollup", rebuild=True, stdout=out)
    assert RollupDay.objects.count() == 95  # from 95 days ago to yesterday


def test_stored_people_are_digests_never_ids(history):
    rollups.refresh()
    stored = set(DailyActivity.objects.values_list("person", flat=True))
    assert stored and not any("shopper" in p for p in stored)


def test_the_dashboard_says_when_days_are_not_rolled_up(history, admin_client_):
    html = admin_client_.get("/admin/personalization/?days=30").content.decode()
    assert "not rolled up yet" in html and "personalization_rollup" in html
    rollups.refresh()
    html = admin_client_.get("/admin/personalization/?days=30").content.decode()
    assert "not rolled up yet" not in html


def test_the_dashboard_headline_uses_the_chosen_period(history, admin_client_):
    rollups.refresh()
    for days in (7, 30, 90):
        html = admin_client_.get(f"/admin/personalization/?days={days}").content.decode()
        headline = html.split('id="sp-headline"')[1].split("</div>\n</div>")[0]
        assert f"<strong>{_direct(days)['events']}</strong>" in headline
        assert f"events, {days} days" in headline and f"visitors, {days} days" in headline


def test_an_erased_shopper_leaves_every_roll_up(history):
    """Erasure deletes the shopper's per-person rows and drops the roll-ups of the days
    they were active; the next refresh recomputes those days without them, so the
    figures equal the remaining events."""
    from personalization_plugin.privacy.erasure import erase
    from personalization_plugin.reports.rollups import person_digest

    rollups.refresh()
    gone = person_digest("shopper-1", "")
    assert DailyActivity.objects.filter(person=gone).exists()
    before = rollups.period(90).total_revenue
    erase(visitor_id="shopper-1")
    assert not DailyActivity.objects.filter(person=gone).exists()
    rollups.refresh()
    assert not DailyActivity.objects.filter(person=gone).exists()
    figures = rollups.period(90)
    direct = _direct(90)
    assert figures.total("view") == direct["views"]
    assert figures.total_revenue == pytest.approx(direct["revenue"])
    assert figures.total_revenue < before
    assert reports.data_health(90, figures).visitors == direct["people"]
