"""Rule kinds and the rule-tree language: validation messages, combinators, edge cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.profiles.profile import Profile, build_from_db
from personalization_plugin.segments.context import EvalContext, RequestFacts, device_of
from personalization_plugin.segments.rules import compile_tree

from .factories import event, orders

pytestmark = pytest.mark.django_db


def matches(tree, subject="c:1", *, now=None, request=None) -> bool:
    ctx = EvalContext(profile=Profile(build_from_db(subject)), request=request)
    if now is not None:
        ctx.now = now
    return compile_tree(tree).match(ctx)


# Validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"rule": "loyalty"}, "rules: unknown rule 'loyalty'; use one of:"),
        ({"rule": "viewed_category"}, "rules: rule 'viewed_category' needs 'category'"),
        ({"rule": "loyal", "min_orders": "five"}, "rules.min_orders must be a whole number"),
        ({"rule": "loyal", "min_orders": 0}, "rules.min_orders must be between 1 and 10000"),
        (
            {"rule": "loyal", "orders": 3},
            "rule 'loyal' has no parameter 'orders' (its parameters: min_orders)",
        ),
        ({"all": []}, "rules.all must be a non-empty list of rules"),
        ({"all": [{"rule": "loyal"}, {"rule": "nope"}]}, "rules.all[1]: unknown rule 'nope'"),
        (
            {"any": [{"not": {"rule": "device", "devices": ["phone"]}}]},
            "rules.any[0].not.devices: 'phone' is not one of",
        ),
        ({"rule": "loyal", "all": []}, "needs exactly one of 'all', 'any', 'not', 'rule'"),
        (["loyal"], "rules: expected an object"),
        ({"rule": "time_of_day", "from_hour": 9, "to_hour": 9}, "the window would be empty"),
        (
            {"rule": "score", "score": "churn", "value": 0.7},
            "rules.score must be one of churn_risk, purchase_propensity",
        ),
        ({"rule": "utm"}, "needs at least one of campaign, source, medium"),
        ({"not": {"rule": "loyal"}, "any": []}, "needs exactly one of"),
    ],
)
def test_invalid_tree_is_rejected_with_a_message_naming_the_place(tree, message):
    with pytest.raises(InvalidRuleTree) as info:
        compile_tree(tree)
    assert message in str(info.value)


def test_too_deep_tree_is_rejected():
    tree: dict = {"rule": "loyal"}
    for _ in range(10):
        tree = {"not": tree}
    with pytest.raises(InvalidRuleTree, match="nested deeper than 8 levels"):
        compile_tree(tree)


def test_defaults_fill_missing_parameters():
    compiled = compile_tree({"rule": "loyal"})
    assert compiled.leaves[0][1] == {"min_orders": 5}


def test_context_rules_mark_the_tree_as_needing_a_request():
    assert compile_tree({"any": [{"rule": "loyal"}, {"rule": "signed_in"}]}).needs_request
    assert not compile_tree({"rule": "loyal"}).needs_request


# Combinators --------------------------------------------------------------------------


def test_all_needs_every_child():
    orders("1", [30, 10])
    assert matches({"all": [{"rule": "repeat_buyer"}, {"rule": "returning_visitor"}]})
    assert not matches({"all": [{"rule": "repeat_buyer"}, {"rule": "first_time_buyer"}]})


def test_any_needs_one_child():
    orders("1", [30])
    assert matches({"any": [{"rule": "repeat_buyer"}, {"rule": "first_time_buyer"}]})
    assert not matches({"any": [{"rule": "repeat_buyer"}, {"rule": "loyal"}]})


def test_not_inverts_and_nests():
    orders("1", [30])
    assert matches({"not": {"rule": "repeat_buyer"}})
    assert not matches({"not": {"not": {"rule": "repeat_buyer"}}})
    assert matches(
        {
            "all": [
                {"not": {"any": [{"rule": "loyal"}, {"rule": "lapsed"}]}},
                {"rule": "first_time_buyer"},
            ]
        }
    )


# Lifecycle edge cases -------------------------------------------------------------------


def test_no_history_is_a_new_visitor_and_nothing_else():
    assert matches({"rule": "new_visitor"}, "v:nobody")
    for rule in (
        "returning_visitor",
        "first_time_buyer",
        "repeat_buyer",
        "loyal",
        "at_risk",
        "lapsed",
    ):
        assert not matches({"rule": rule}, "v:nobody"), rule


def test_loyal_matches_exactly_at_the_threshold():
    orders("1", [50, 40, 30, 20, 10])
    assert matches({"rule": "loyal", "min_orders": 5})
    assert not matches({"rule": "loyal", "min_orders": 6})


def test_lines_of_one_order_count_once():
    event("purchase", customer="1", order_id="A", product_id="1", price="5", days_ago=3)
    event("purchase", customer="1", order_id="A", product_id="2", price="7", days_ago=3)
    assert matches({"rule": "first_time_buyer"})
    assert matches({"rule": "spent_at_least", "amount": 12})
    assert not matches({"rule": "spent_at_least", "amount": 12.01})


def test_at_risk_needs_more_than_factor_times_the_median_interval():
    now = timezone.now()
    # Orders every 10 days; the last one 15 days ago is exactly 1.5 x the median interval.
    for i, ago in enumerate([35, 25, 15]):
        event(
            "purchase",
            customer="1",
            order_id=f"o{i}",
            product_id="1",
            price="5",
            at=now - timedelta(days=ago),
        )
    rule = {"rule": "at_risk", "factor": 1.5, "min_days": 0}
    assert not matches(rule, now=now)
    assert matches(rule, now=now + timedelta(hours=1))


def test_at_risk_never_sooner_than_min_days():
    now = timezone.now()
    for i, ago in enumerate([4, 3, 2]):
        event(
            "purchase",
            customer="1",
            order_id=f"o{i}",
            product_id="1",
            price="5",
            at=now - timedelta(days=ago),
        )
    assert matches({"rule": "at_risk", "min_days": 0}, now=now)
    assert not matches({"rule": "at_risk", "min_days": 7}, now=now)


def test_at_risk_needs_two_orders():
    orders("1", [300])
    assert not matches({"rule": "at_risk", "min_days": 0})


def test_lapsed_matches_from_exactly_the_given_days():
    now = timezone.now()
    event(
        "purchase",
        customer="1",
        order_id="o",
        product_id="1",
        price="5",
        at=now - timedelta(days=180),
    )
    assert matches({"rule": "lapsed", "days": 180}, now=now)
    assert not matches({"rule": "lapsed", "days": 180}, now=now - timedelta(seconds=1))


def test_new_and_returning_use_calendar_days_of_the_store_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 local yesterday and 00:10 local today are 40 minutes apart but two calendar days.
    now = datetime(2026, 3, 10, 0, 10, tzinfo=berlin)
    event("view", visitor="a", product_id="1", at=datetime(2026, 3, 9, 23, 30, tzinfo=berlin))
    assert matches({"rule": "returning_visitor"}, "v:a", now=now)
    # A first visit five minutes after local midnight is a new visitor today.
    event("view", visitor="b", product_id="1", at=datetime(2026, 3, 10, 0, 5, tzinfo=berlin))
    assert matches({"rule": "new_visitor"}, "v:b", now=now)


# Behaviour ------------------------------------------------------------------------------


def test_viewed_category_counts_only_within_the_window():
    for ago in (1, 2, 40):
        event("category_view", visitor="a", category_id="cookware", days_ago=ago)
    rule = {"rule": "viewed_category", "category": "cookware", "min_views": 2, "days": 30}
    assert matches(rule, "v:a")
    assert not matches({**rule, "min_views": 3}, "v:a")
    assert matches({**rule, "min_views": 3, "days": 41}, "v:a")


def test_viewed_category_counts_product_views_of_that_category():
    event("view", visitor="a", product_id="p1", category_id="garden", days_ago=1)
    assert matches({"rule": "viewed_category", "category": "garden"}, "v:a")


def test_viewed_without_cart_needs_n_views_of_one_product_never_carted():
    for _ in range(3):
        event("view", visitor="a", product_id="p1", days_ago=1)
    for _ in range(3):
        event("view", visitor="b", product_id="p1", days_ago=1)
    event("cart_add", visitor="b", product_id="p1", days_ago=0.5)
    assert matches({"rule": "viewed_without_cart", "min_views": 3}, "v:a")
    assert not matches({"rule": "viewed_without_cart", "min_views": 4}, "v:a")
    assert not matches({"rule": "viewed_without_cart", "min_views": 3}, "v:b")


def test_abandoned_cart_needs_idle_time_and_no_order():
    now = timezone.now()
    event("cart_add", visitor="a", product_id="p1", at=now - timedelta(minutes=60))
    rule = {"rule": "abandoned_cart", "idle_minutes": 60}
    assert matches(rule, "v:a", now=now)
    assert not matches(rule, "v:a", now=now - timedelta(seconds=1))
    event(
        "purchase",
        visitor="a",
        product_id="p1",
        order_id="o",
        price="3",
        at=now - timedelta(minutes=30),
    )
    assert not matches(rule, "v:a", now=now)


def test_removing_the_last_product_empties_the_cart():
    event("cart_add", visitor="a", product_id="p1", days_ago=1)
    event("cart_remove", visitor="a", product_id="p1", days_ago=0.9)
    assert not matches({"rule": "abandoned_cart"}, "v:a")


def test_searched_matches_a_substring_in_any_case():
    event("search", visitor="a", query="Cast IRON pan", days_ago=2)
    assert matches({"rule": "searched", "term": "iron"}, "v:a")
    assert not matches({"rule": "searched", "term": "iron", "days": 1}, "v:a")


# Context --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) Safari/537.36", "tablet"),
        ("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", "desktop"),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
        ("", "desktop"),
    ],
)
def test_device_type_from_user_agent(agent, device):
    assert device_of(agent) == device


def test_utm_and_referrer_come_from_the_request():
    from .factories import request

    req = request(
        "/?utm_campaign=Spring&utm_source=news", HTTP_REFERER="https://www.instagram.com/x"
    )
    facts = RequestFacts.from_request(req)
    assert matches({"rule": "utm", "campaign": "spring"}, "v:a", request=facts)
    assert not matches({"rule": "utm", "campaign": "spring", "source": "ads"}, "v:a", request=facts)
    assert matches({"rule": "referrer", "host_contains": "instagram"}, "v:a", request=facts)


def test_context_rules_are_false_without_a_request():
    assert not matches({"rule": "signed_in", "value": False}, "v:a")
    assert not matches({"rule": "device", "devices": ["desktop"]}, "v:a")


def test_time_of_day_window_wraps_midnight_in_the_store_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    night = {"rule": "time_of_day", "from_hour": 22, "to_hour": 6}
    # 23:30 UTC is 00:30 in Berlin (winter): inside 22-6 local.
    assert matches(night, "v:a", now=datetime(2026, 1, 15, 23, 30, tzinfo=ZoneInfo("UTC")))
    # 21:30 UTC is 22:30 in Berlin: inside; 05:30 UTC is 06:30 Berlin: outside.
    assert matches(night, "v:a", now=datetime(2026, 1, 15, 21, 30, tzinfo=ZoneInfo("UTC")))
    assert not matches(night, "v:a", now=datetime(2026, 1, 15, 5, 30, tzinfo=ZoneInfo("UTC")))


def test_day_of_week_is_the_local_day(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # Friday 23:30 UTC is already Saturday in Berlin.
    friday_utc = datetime(2026, 1, 16, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert matches({"rule": "day_of_week", "days": ["sat", "sun"]}, "v:a", now=friday_utc)
    assert not matches({"rule": "day_of_week", "days": ["fri"]}, "v:a", now=friday_utc)
