"""Membership per request: cached profiles, live updates, privacy, priority, preview."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from personalization_plugin import signals
from personalization_plugin.profiles import store
from personalization_plugin.profiles.profile import build_from_db
from personalization_plugin.segments import engine
from personalization_plugin.segments.models import Segment
from personalization_plugin.tracking.identity import Visitor

from .factories import event, orders, products, request

pytestmark = pytest.mark.django_db


def slugs(req) -> list[str]:
    return engine.slugs_for(req)


def test_builtin_segments_exist_after_migrate():
    assert {"new-visitors", "loyal", "at-risk", "cart-abandoners", "big-spenders"} <= set(
        Segment.objects.values_list("slug", flat=True)
    )


def test_a_deleted_builtin_segment_is_not_recreated():
    engine.definitions()
    Segment.objects.filter(slug="loyal").delete()
    engine.forget_definitions()
    assert "loyal" not in [d.slug for d in engine.definitions()]


def test_customer_gets_segments_from_their_history():
    orders("7", [40, 20, 5])
    req = request(visitor=Visitor(visitor_id="v7", customer_id="7"))
    assert "repeat-buyers" in slugs(req)
    assert "first-time-buyers" not in slugs(
        request(visitor=Visitor(visitor_id="v7", customer_id="7"))
    )


def no_queries():
    return CaptureQueriesContext(connection)


def test_result_is_memoised_on_the_request():
    orders("7", [40, 20])
    req = request(visitor=Visitor(visitor_id="v7", customer_id="7"))
    first = engine.segments_for(req)
    with no_queries() as queries:
        assert engine.segments_for(req) is first
    assert len(queries) == 0


def test_second_request_reads_only_the_cache():
    orders("7", [40, 20])
    engine.segments_for(request(visitor=Visitor(visitor_id="v7", customer_id="7")))
    with no_queries() as queries:
        engine.segments_for(request(visitor=Visitor(visitor_id="v7", customer_id="7")))
    assert [q["sql"] for q in queries] == []


def test_opted_out_shopper_is_evaluated_without_their_history():
    orders("7", [40, 20])
    req = request(visitor=Visitor(visitor_id="v7", customer_id="7", consent="denied"))
    assert slugs(req) == ["new-visitors"]


def test_unconsented_shopper_under_required_consent_is_not_profiled(personalization):
    personalization(CONSENT_MODE="required")
    orders("7", [40, 20])
    assert "repeat-buyers" not in slugs(request(visitor=Visitor(visitor_id="v7", customer_id="7")))
    assert "repeat-buyers" in slugs(
        request(visitor=Visitor(visitor_id="v7", customer_id="7", consent="granted"))
    )


def test_store_signals_update_the_cached_profile_at_once():
    visitor = Visitor(visitor_id="v7", customer_id="7")
    orders("7", [40])
    assert "first-time-buyers" in slugs(request(visitor=visitor))
    (pid,) = products(1)
    signals.order_placed.send(
        sender=None,
        request=request(visitor=visitor),
        order_id="new",
        lines=[{"product_id": pid, "quantity": 1, "price": "9.50"}],
    )
    assert "repeat-buyers" in slugs(request(visitor=visitor))


def test_incremental_profile_equals_one_rebuilt_from_stored_events():
    from personalization_plugin.tracking.backends import get_backend

    visitor = Visitor(visitor_id="v8", customer_id="8")
    engine.segments_for(request(visitor=visitor))  # caches the empty profile
    req = request(visitor=visitor)
    one, two = products(2)
    for pid in (one, one, two):
        signals.product_viewed.send(sender=None, request=req, product_id=pid)
    signals.category_viewed.send(sender=None, request=req, category_id="cookware")
    signals.search_performed.send(sender=None, request=req, query="Lamp")
    signals.cart_item_added.send(sender=None, request=req, product_id=two, quantity=1, price="4")
    signals.order_placed.send(
        sender=None,
        request=req,
        order_id="o1",
        lines=[{"product_id": two, "quantity": 2, "price": "4"}],
    )
    assert get_backend().flush() == 7  # the tracking receivers stored the same events
    assert cached_equals_rebuilt("c:8")


def test_unknown_products_are_not_counted():
    visitor = Visitor(visitor_id="v8", customer_id="8")
    signals.product_viewed.send(sender=None, request=request(visitor=visitor), product_id="nope")
    raw, _ = store.load("c:8")
    assert raw["pv"] == {}


def cached_equals_rebuilt(subject: str) -> bool:
    cached, _ = store.load(subject)
    rebuilt = build_from_db(subject)
    # Times differ by the microseconds between the two receivers; compare them loosely.
    assert abs(cached.pop("ct") - rebuilt.pop("ct")) < 1.0
    for raw in (cached, rebuilt):
        raw.pop("fs"), raw.pop("ls"), raw.pop("s")
        raw["pv"] = {p: v[0] for p, v in raw["pv"].items()}
        raw["ca"] = sorted(raw["ca"])
        raw["o"] = {o: v[1] for o, v in raw["o"].items()}
    assert cached == rebuilt
    return True


def test_higher_priority_wins_whatever_the_order_of_candidates():
    orders("7", [60, 50, 40, 30, 20])
    req = request(visitor=Visitor(visitor_id="v7", customer_id="7"))
    assert engine.choose(req, ["repeat-buyers", "loyal"]) == "loyal"
    assert engine.choose(req, ["loyal", "repeat-buyers"]) == "loyal"
    Segment.objects.filter(slug="repeat-buyers").update(priority=999)
    engine.forget_definitions()
    req = request(visitor=Visitor(visitor_id="v7", customer_id="7"))
    assert engine.choose(req, ["loyal", "repeat-buyers"]) == "repeat-buyers"


def test_saving_a_segment_is_seen_by_the_next_request():
    engine.definitions()
    Segment.objects.create(name="Everyone", slug="everyone", rules={"not": {"rule": "loyal"}})
    assert "everyone" in slugs(request(visitor=Visitor(visitor_id="x")))


def test_disabled_segments_never_match():
    engine.definitions()
    Segment.objects.filter(slug="new-visitors").update(enabled=False)
    engine.forget_definitions()
    assert "new-visitors" not in slugs(request(visitor=Visitor(visitor_id="x")))


def test_preview_parameter_is_ignored_for_shoppers():
    req = request("/?sp_preview_segment=loyal", visitor=Visitor(visitor_id="x"))
    assert "loyal" not in slugs(req)


def test_preview_parameter_is_honoured_for_editors():
    editor = User.objects.create_user("ed", password="x")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    editor = User.objects.get(pk=editor.pk)
    req = request("/?sp_preview_segment=loyal", user=editor, visitor=Visitor(visitor_id="x"))
    assert slugs(req) == ["loyal"]


def test_visitor_merge_rebuilds_the_customer_profile():
    event("view", visitor="anon", product_id="1", days_ago=3)
    store.load("c:9")
    from personalization_plugin.tracking.identity import merge_visitor

    merge_visitor("anon", "9")
    raw, _ = store.load("c:9")
    assert raw["pv"]["1"][0] == 1


def test_erasure_removes_the_cached_profile():
    from personalization_plugin.privacy.erasure import erase

    orders("7", [3])
    store.load("c:7")
    erase(customer_id="7")
    raw, _ = store.load("c:7")
    assert raw["o"] == {}


def test_profiles_and_version_live_in_redis_under_the_key_prefix(use_redis, settings):
    orders("7", [40, 20])
    engine.segments_for(request(visitor=Visitor(visitor_id="v7", customer_id="7")))
    prefix = settings.PERSONALIZATION["KEY_PREFIX"]
    name = store.profile_key("c:7")
    assert name.startswith(f"{prefix}:seg:p:") and "c:7" not in name  # the id is hashed
    raw = use_redis.get(name)
    assert raw is not None and len(json.loads(raw)["o"]) == 2
    before = store.version()
    Segment.objects.create(name="X", slug="x", rules={"rule": "loyal"})
    assert store.version() != before
    assert use_redis.ttl(name) > 0


def test_redis_profile_update_is_seen_by_another_process_cache(use_redis):
    visitor = Visitor(visitor_id="v7", customer_id="7")
    orders("7", [40])
    engine.segments_for(request(visitor=visitor))
    store.clear_local()  # another process has nothing in memory
    (pid,) = products(1)
    signals.order_placed.send(
        sender=None, visitor=visitor, order_id="n", lines=[{"product_id": pid, "price": "3"}]
    )
    assert "repeat-buyers" in slugs(request(visitor=visitor))


def test_membership_falls_back_to_in_process_state_when_redis_is_down(personalization, caplog):
    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    orders("7", [40, 20])
    visitor = Visitor(visitor_id="v7", customer_id="7")
    assert "repeat-buyers" in slugs(request(visitor=visitor))
    assert "repeat-buyers" in slugs(request(visitor=visitor))
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1


def test_events_tracked_without_a_store_signal_are_folded_in():
    """The tracking script and GraphQL call track() directly, with no store signal."""
    from personalization_plugin import track_order

    orders("7", [40])
    visitor = Visitor(visitor_id="v7", customer_id="7")
    assert "first-time-buyers" in slugs(request(visitor=visitor))
    track_order(visitor=visitor, order_id="x", lines=[{"product_id": products(1)[0], "price": "4"}])
    assert "repeat-buyers" in slugs(request(visitor=visitor))


def test_events_inside_an_import_batch_are_queued_and_folded_when_the_profile_is_read():
    from personalization_plugin import track_order
    from personalization_plugin.tracking.api import batch

    orders("7", [40])
    visitor = Visitor(visitor_id="v7", customer_id="7")
    assert "first-time-buyers" in slugs(request(visitor=visitor))
    with batch():
        track_order(
            visitor=visitor, order_id="x", lines=[{"product_id": products(1)[0], "price": "4"}]
        )
    assert store._local_get("c:7") is not None and len(store._local_get("c:7")["o"]) == 1
    assert "repeat-buyers" in slugs(request(visitor=visitor))


def test_intake_builds_no_profile_for_a_shopper_nobody_asked_about():
    """Intake stays cheap: the profile is built when a page first asks, from stored events."""
    from personalization_plugin import track_order
    from personalization_plugin.tracking.backends import get_backend

    visitor = Visitor(visitor_id="v9", customer_id="9")
    track_order(visitor=visitor, order_id="o9", lines=[{"product_id": products(1)[0]}])
    assert store._local_get("c:9") is None
    get_backend().flush()
    assert "first-time-buyers" in slugs(request(visitor=visitor))
