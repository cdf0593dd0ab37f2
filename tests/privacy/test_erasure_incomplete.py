"""Erasure completes or says it did not: never a success claimed over a store it missed.

An artifact erasure cannot read (a failed checksum) still holds the shopper: the
erasure raises ErasureIncomplete, forget-me answers 503 "try again", and the artifact is
quarantined so it is never served. Redis that cannot be reached (a closed port) makes
the erasers raise instead of reporting what they removed locally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from personalization_plugin.core.exceptions import ErasureIncomplete
from personalization_plugin.core.redis import mark_down
from personalization_plugin.engine import registry
from personalization_plugin.engine.artifacts import ARRAYS_FILE, QUARANTINE_FILE, load_model
from personalization_plugin.engine.training import train
from personalization_plugin.models import ModelVersion
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.serving import cache
from personalization_plugin.tracking.identity import sign_visitor_id
from tests.privacy.erasure_race import seed_and_train

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens there: connection refused


@pytest.fixture
def trained(personalization: Any, tmp_path: Any) -> Any:
    personalization(
        MODEL_DIR=str(tmp_path / "models"), ADAPTER="tests.engine.adapter.MemoryAdapter"
    )
    yield seed_and_train()
    registry.reset()


def corrupt(mv: ModelVersion) -> None:
    npz = Path(mv.path) / ARRAYS_FILE
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))


def test_an_unreadable_artifact_makes_erasure_incomplete(trained) -> None:
    active = trained[-1]
    corrupt(active)
    with pytest.raises(ErasureIncomplete, match=active.version):
        erase(visitor_id="a0")


def test_the_unreadable_artifact_is_quarantined_and_never_served(trained) -> None:
    active = trained[-1]
    assert registry.get_active_model().knows_subject("v:a0")
    corrupt(active)
    with pytest.raises(ErasureIncomplete):
        erase(visitor_id="a0")
    assert (Path(active.path) / QUARANTINE_FILE).exists()
    assert not ModelVersion.objects.get(pk=active.pk).is_active
    registry.invalidate()
    assert registry.get_active_model() is None  # serving falls back to non-personal lists
    with pytest.raises(Exception, match="quarantined"):
        load_model(active.path)


def test_the_readable_artifacts_are_still_erased(trained) -> None:
    older, active = trained
    corrupt(active)
    with pytest.raises(ErasureIncomplete):
        erase(visitor_id="a0")
    assert not load_model(older.path).knows_subject("v:a0")


def test_retraining_clears_the_quarantine_and_the_erasure_then_completes(trained) -> None:
    active = trained[-1]
    corrupt(active)
    with pytest.raises(ErasureIncomplete):
        erase(visitor_id="a0")
    train(holdout=False, full=True)
    assert not ModelVersion.objects.filter(pk=active.pk).exists()
    assert not Path(active.path).exists()
    report = erase(visitor_id="a0")
    assert "personalization_plugin.engine.erasure.erase_subjects" in report


def test_forget_me_answers_503_try_again_when_the_erasure_is_incomplete(trained) -> None:
    corrupt(trained[-1])
    browser = Client()
    browser.cookies["sp_vid"] = sign_visitor_id("a0")
    response = browser.post("/personalization/forget-me/", content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "try again" in json.loads(response.content)["error"]


def test_graphql_opt_out_says_the_erasure_did_not_finish(trained) -> None:
    corrupt(trained[-1])
    browser = Client()
    browser.cookies["sp_vid"] = sign_visitor_id("a0")
    response = browser.post(
        "/graphql/",
        {"query": "mutation { setConsent(granted: false) { consent errors { message code } } }"},
        content_type="application/json",
    )
    [error] = response.json()["data"]["setConsent"]["errors"]
    assert error["code"] == "ERASURE_INCOMPLETE" and "try again" in error["message"]


def test_erasure_with_redis_unreachable_is_refused(personalization) -> None:
    personalization(REDIS_URL=CLOSED_PORT)
    with pytest.raises(ErasureIncomplete, match="Redis"):
        erase(visitor_id="a0")


def test_cache_eraser_raises_instead_of_a_local_count_when_the_breaker_is_open(
    personalization,
) -> None:
    personalization(REDIS_URL=CLOSED_PORT)
    mark_down(ConnectionError("down"))  # the breaker is open: serving uses the local LRU
    with pytest.raises(ErasureIncomplete, match="Redis is unreachable"):
        cache.erase_subjects({"v:a0"})


def test_cache_eraser_reaches_redis_even_while_the_breaker_is_open(use_redis) -> None:
    cache._write("v1", "v:a0", "m", 50, [("p1", 1.0)])
    assert list(use_redis.scan_iter("*:rec:*"))
    mark_down(ConnectionError("a blip a second ago"))
    assert cache.erase_subjects({"v:a0"}) >= 1
    assert not list(use_redis.scan_iter("*:rec:*"))
