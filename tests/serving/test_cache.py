"""The personal top-N cache: shared in Redis, fresh after every new event, erasable."""

from __future__ import annotations

import logging

import pytest

from personalization_plugin import track
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.serving import cache, recommend

from .conftest import scored

pytestmark = pytest.mark.django_db


def rec_keys(redis_client, settings) -> list[bytes]:
    prefix = settings.PERSONALIZATION["KEY_PREFIX"]
    return list(redis_client.scan_iter(f"{prefix}:rec:*"))


def model_calls(model) -> int:
    return sum(call.startswith("for_subject") for call in model.calls)


def test_personal_list_is_cached_in_redis(catalog, model, alice, use_redis, settings):
    catalog.fill(20)
    model.personal = {alice.subject: scored(3, 4)}
    recommend("for_you", visitor=alice)
    recommend("for_you", visitor=alice)
    assert model_calls(model) == 1
    assert len(rec_keys(use_redis, settings)) == 1


def test_cached_list_expires_after_the_ttl(
    catalog, model, alice, use_redis, settings, personalization
):
    personalization(RECOMMENDATION_TTL=120)
    catalog.fill(20)
    model.personal = {alice.subject: scored(3, 4)}
    recommend("for_you", visitor=alice)
    (key,) = rec_keys(use_redis, settings)
    assert 0 < use_redis.ttl(key) <= 120


def test_cache_keys_do_not_contain_shopper_ids(catalog, model, alice, use_redis, settings):
    catalog.fill(20)
    model.personal = {alice.subject: scored(3)}
    recommend("for_you", visitor=alice)
    assert all(b"alice" not in key for key in rec_keys(use_redis, settings))


def test_a_new_event_invalidates_the_cached_list(catalog, model, alice, use_redis):
    catalog.fill(20)
    model.personal = {alice.subject: scored(3, 4)}
    model.similar_to = {"9": scored(12, 13)}
    before = recommend("for_you", visitor=alice, limit=2)
    track("view", visitor=alice, product_id="9")
    after = recommend("for_you", visitor=alice, limit=2)
    assert [i.product.id for i in before.items] == ["3", "4"]
    assert [i.product.id for i in after.items] == ["12", "13"]
    assert model_calls(model) == 2


def test_a_new_model_version_is_not_served_from_the_old_cache(catalog, model, alice, use_redis):
    catalog.fill(20)
    model.personal = {alice.subject: scored(3)}
    recommend("for_you", visitor=alice)
    model.version = "hand-2"
    recommend("for_you", visitor=alice)
    assert model_calls(model) == 2


def test_erasure_deletes_cached_lists_in_redis(catalog, model, alice, use_redis, settings):
    from personalization_plugin.tracking.identity import Visitor

    catalog.fill(20)
    bob = Visitor(visitor_id="bob", consent="granted")
    model.personal = {alice.subject: scored(3), bob.subject: scored(4)}
    recommend("for_you", visitor=alice)
    recommend("for_you", visitor=bob)
    assert len(rec_keys(use_redis, settings)) == 2
    report = erase(visitor_id="alice")
    assert report["personalization_plugin.serving.cache.erase_subjects"] == 1
    assert len(rec_keys(use_redis, settings)) == 1  # bob's stays
    recommend("for_you", visitor=alice)
    assert model_calls(model) == 3


def test_erasure_deletes_cached_lists_in_process(catalog, model, alice):
    catalog.fill(20)
    model.personal = {alice.subject: scored(3)}
    recommend("for_you", visitor=alice)
    assert cache.erase_subjects({alice.subject}) == 1
    recommend("for_you", visitor=alice)
    assert model_calls(model) == 2


def test_redis_down_is_logged_once_and_serving_goes_on(
    catalog, model, alice, personalization, caplog
):
    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    catalog.fill(20)
    model.personal = {alice.subject: scored(3, 4)}
    with caplog.at_level(logging.WARNING, logger="personalization_plugin"):
        first = recommend("for_you", visitor=alice)
        second = recommend("for_you", visitor=alice)
    assert [i.product.id for i in first.items][:2] == ["3", "4"]
    assert len(second.items) == 8
    # One breaker for the whole plugin: the outage is reported once, not per request or
    # per part (real-time reads, the cache) that met it.
    outage = [r for r in caplog.records if "is unreachable" in r.getMessage()]
    assert len(outage) == 1
    assert "127.0.0.1:1" in outage[0].getMessage()


def test_erasure_with_redis_down_raises_instead_of_claiming_success(catalog, personalization):
    from personalization_plugin.core.exceptions import ErasureIncomplete

    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    with pytest.raises(ErasureIncomplete, match="Redis is unreachable"):
        cache.erase_subjects({"v:alice"})
