"""Precomputed personal lists: written after training on the key serving reads."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command

from personalization_plugin import track
from personalization_plugin.engine import registry
from personalization_plugin.engine.training import train
from personalization_plugin.models import PrivacyChoice
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.serving import cache, recommend
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import Visitor

pytestmark = pytest.mark.django_db
CATEGORIES = ("chairs", "tables", "lamps")


@pytest.fixture
def trained(catalog, personalization, tmp_path, use_redis):
    """18 shoppers, each viewing 6 products of one category, tracked through Redis (so
    their recent items live in the real-time store); a trained and active model."""
    personalization(MODEL_DIR=str(tmp_path), FACTORS=8, ITERATIONS=5)
    registry.reset()
    catalog.fill(30, CATEGORIES)
    for shopper in range(18):
        visitor = shopper_visitor(shopper)
        home = shopper % 3
        for pid in random.Random(shopper).sample(range(home + 1, 31, 3), 6):
            track("view", visitor=visitor, product_id=str(pid))
    get_backend().flush()
    version = train(holdout=False)
    yield version
    registry.reset()


def shopper_visitor(k: int) -> Visitor:
    return Visitor(visitor_id=f"shopper{k}", consent="granted")


def subject_keys(redis_client, subject: str) -> list[bytes]:
    return list(redis_client.scan_iter(f"{cache.subject_key(subject)}:*"))


@pytest.fixture
def counted(monkeypatch):
    """Count `for_subject` calls on the real active model object."""
    model = registry.get_active_model()
    calls: list[str] = []
    real = model.for_subject

    def for_subject(subject, *args, **kwargs):
        calls.append(subject)
        return real(subject, *args, **kwargs)

    monkeypatch.setattr(model, "for_subject", for_subject)
    return calls


def test_after_precompute_for_you_is_a_cache_hit_with_the_uncached_items(trained, counted):
    shopper = shopper_visitor(1)
    written = cache.precompute(registry.get_active_model(), [f"v:shopper{k}" for k in range(18)])
    assert written == 18
    cached = recommend("for_you", visitor=shopper, limit=6)
    assert counted == []
    assert cached.model_version == trained.version
    assert cache.erase_subjects({shopper.subject}) == 1  # drop the list: next call computes
    fresh = recommend("for_you", visitor=shopper, limit=6)
    assert counted == [shopper.subject]
    assert [i.product.id for i in cached.items] == [i.product.id for i in fresh.items]
    assert len(fresh.items) == 6


def test_precompute_uses_the_shoppers_current_recent_items(trained, counted):
    shopper = shopper_visitor(2)
    track("view", visitor=shopper, product_id="3")  # a new event after training
    cache.precompute(registry.get_active_model(), [shopper.subject])
    recommend("for_you", visitor=shopper)
    assert counted == []


def test_opted_out_shoppers_are_not_precomputed(trained, use_redis):
    PrivacyChoice.objects.create(subject="v:shopper4", consent="denied")
    written = cache.precompute(registry.get_active_model(), ["v:shopper4", "v:shopper5"])
    assert written == 1
    assert subject_keys(use_redis, "v:shopper4") == []
    assert len(subject_keys(use_redis, "v:shopper5")) == 1


def test_unknown_subjects_are_skipped(trained, use_redis):
    assert cache.precompute(registry.get_active_model(), ["v:stranger"]) == 0
    assert subject_keys(use_redis, "v:stranger") == []


def test_erasure_removes_precomputed_lists(trained, use_redis):
    cache.precompute(registry.get_active_model(), ["v:shopper6", "v:shopper7"])
    report = erase(visitor_id="shopper6")
    assert report["personalization_plugin.serving.cache.erase_subjects"] == 1
    assert subject_keys(use_redis, "v:shopper6") == []
    assert len(subject_keys(use_redis, "v:shopper7")) == 1


def test_precompute_command_caches_recently_active_shoppers(trained, use_redis):
    out = StringIO()
    call_command("personalization_precompute", "--days", "30", "--limit", "60", stdout=out)
    assert "Cached 18 personal lists" in out.getvalue()
    assert len(subject_keys(use_redis, "v:shopper0")) == 1


def test_precompute_command_without_a_model_fails_clearly(catalog, use_redis):
    registry.reset()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="personalization_train"):
        call_command("personalization_precompute")


def test_training_command_precomputes_lists(trained, use_redis):
    for key in use_redis.scan_iter(f"{cache.subject_key('v:shopper0')}:*"):
        use_redis.delete(key)
    out = StringIO()
    call_command("personalization_train", "--no-progress", "--no-holdout", stdout=out)
    assert "Cached 18 personal lists" in out.getvalue()
    assert len(subject_keys(use_redis, "v:shopper0")) == 1


def test_precompute_after_training_is_off_with_zero_days(trained, personalization, use_redis):
    personalization(PRECOMPUTE_DAYS=0)
    assert cache.precompute_after_training() == 0
    assert subject_keys(use_redis, "v:shopper0") == []
