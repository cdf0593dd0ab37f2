"""Privacy audit: give one shopper history in every store the plugin writes to, erase
them, then search every store for their ids. Nothing may be left.

Stores searched: every table of the plugin and its integration apps (text and JSON
columns), every Redis key and value under the prefix (stream, real-time state, cached
recommendation lists under hashed names, segment profiles, rate-limit counters), the
in-process event buffer, every model artifact on disk, and the captured logs.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from personalization_plugin import track
from personalization_plugin.core.events import build_event
from personalization_plugin.engine import training
from personalization_plugin.models import Event, PrivacyChoice
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.privacy.export import export_subject
from personalization_plugin.privacy.retention import purge_events
from personalization_plugin.segments.engine import slugs_for
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.backends import get_backend, get_local_backend
from personalization_plugin.tracking.identity import Visitor, merge_visitor, sign_visitor_id
from personalization_plugin.tracking.tokens import intake_token
from personalization_plugin.triggers.models import TriggerFiring

from .audit import (
    artifact_traces,
    buffer_traces,
    database_traces,
    log_traces,
    needles_for,
    redis_traces,
)

VID = "a0d17aa0d17aa0d17aa0d17aa0d17a01"
CID = "auditcustomer7731"
OTHER = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"


def everything(own_redis: Any, caplog: pytest.LogCaptureFixture, vid: str, cid: str) -> list[str]:
    needles = needles_for(vid, cid)
    return [
        *database_traces(needles),
        *redis_traces(own_redis.client(), needles),
        *artifact_traces(needles),
        *buffer_traces(needles),
        *log_traces(caplog.text, needles),
    ]


def give_history_everywhere(catalog: list[Any], shopper_history: Any) -> Visitor:
    """History for VID/CID in the DB, Redis, the buffers, a trained model, caches, segments."""
    for n in range(10):  # other shoppers, so the model has something to learn besides ours
        shopper_history(f"{OTHER[:-2]}{n:02d}", catalog[n % 6 : n % 6 + 5])
    shopper_history(VID, catalog[:5])  # anonymous visit
    shopper_history(VID, catalog[2:7], customer_id=CID)  # then signed in
    merge_visitor(VID, CID)  # login merge record (visitor -> customer)
    track("search", visitor_id=VID, customer_id=CID, query=f"gift for {CID}")
    PrivacyChoice.objects.create(subject=f"c:{CID}", consent="granted")
    TriggerFiring.objects.create(
        kind="abandoned_cart",
        subject=f"c:{CID}",
        idempotency_key=f"audit-{CID}",
        payload={"customer_id": CID, "products": [str(catalog[0].pk)]},
    )
    get_backend().flush()
    training.train()  # model factors and history rows for both subjects

    visitor = Visitor(visitor_id=VID, customer_id=CID, consent="granted")
    assert recommend("for_you", visitor=visitor, limit=4).items  # cached personal list
    assert recommend("for_you", visitor=Visitor(visitor_id=VID), limit=4).items
    slugs_for(visitor=visitor)  # segment profile built and cached

    browser = Client(REMOTE_ADDR="127.0.0.7")  # beacons: rate-limit counters, stream entries
    browser.cookies["sp_vid"] = sign_visitor_id(VID)
    beacon = {
        "token": intake_token(VID),
        "events": [{"type": "view", "product_id": str(catalog[1].pk)}],
    }
    response = browser.post(
        "/personalization/events/", json.dumps(beacon), content_type="text/plain"
    )
    assert response.json()["accepted"] == 1
    track("view", visitor_id=VID, customer_id=CID, product_id=str(catalog[3].pk))  # unflushed
    get_local_backend().submit(build_event("view", visitor_id=VID, product_id=str(catalog[4].pk)))
    return visitor


@pytest.mark.slow
def test_erasure_leaves_no_trace_anywhere(
    own_redis: Any,
    catalog: list[Any],
    shopper_history: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    give_history_everywhere(catalog, shopper_history)
    before = everything(own_redis, caplog, VID, CID)
    stores = " ".join(before)
    for store in ("personalization_event", "personalization_privacychoice", "triggerfiring",
                  "redis", "artifact", "local buffer"):  # fmt: skip
        assert store in stores, f"the audit must first see the shopper in {store}"
    exported = export_subject(visitor_id=VID, customer_id=CID)
    assert exported["events"], "the export holds their events before erasure"

    erase(visitor_id=VID, customer_id=CID)
    get_backend().flush()  # a flush after erasure must not bring anything back

    left = everything(own_redis, caplog, VID, CID)
    assert left == [], "\n".join(left)
    assert export_subject(visitor_id=VID, customer_id=CID)["events"] == []
    assert Event.objects.filter(visitor_id__startswith=OTHER[:-2]).exists(), "others keep theirs"


@pytest.mark.slow
def test_withdrawing_consent_erases_everything_but_the_opt_out(
    own_redis: Any,
    catalog: list[Any],
    shopper_history: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    give_history_everywhere(catalog, shopper_history)
    browser = Client()
    browser.cookies["sp_vid"] = sign_visitor_id(VID)
    response = browser.post("/personalization/consent/", {"consent": "denied"})
    assert response.status_code in (200, 302)
    get_backend().flush()

    needles = needles_for(VID, CID)
    left = database_traces(
        needles, allow=lambda model, row: model is PrivacyChoice and row[2] == "denied"
    )
    # The anonymous visitor withdrew consent: their visitor id and every history merged
    # into it are erased. The customer account was never signed in on this browser, so
    # only the visitor's subject is required to be gone everywhere.
    visitor_needles = needles_for(VID, VID)
    assert [t for t in left if VID in t] == []
    assert redis_traces(own_redis.client(), visitor_needles) == []
    assert artifact_traces(visitor_needles) == []
    assert buffer_traces(visitor_needles) == []
    assert PrivacyChoice.objects.filter(subject=f"v:{VID}", consent="denied").exists()
    assert log_traces(caplog.text, visitor_needles) == []


def test_retention_purge_removes_old_events_from_the_database_and_the_next_model(
    catalog: list[Any], shopper_history: Any
) -> None:
    old = timezone.now() - timedelta(days=400)
    for product in catalog[:5]:
        track("view", visitor_id=VID, product_id=str(product.pk), occurred_at=old)
    for n in range(8):
        shopper_history(f"{OTHER[:-2]}{n:02d}", catalog[n % 6 : n % 6 + 5])
    get_backend().flush()
    training.train()
    assert artifact_traces({VID}), "the first model learned the old history"

    assert purge_events(days=365) == 5
    assert database_traces(needles_for(VID, CID)) == []
    training.train()
    from personalization_plugin.engine.registry import prune

    prune(keep=0)  # older artifacts go with their versions, as retraining does
    assert artifact_traces({VID}) == []
    assert Event.objects.count() > 0, "recent events stay"
