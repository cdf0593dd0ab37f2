"""Redis holds no shopper id in clear, in a key name or a value, while the shopper is
active (not only after erasure): the login-merge record seals the customer id, and the
session pseudonym is made with the one hash key, so a SECRET_KEY rotation changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from personalization_plugin import track
from personalization_plugin.core import subjects
from personalization_plugin.core.redis import key
from personalization_plugin.models import Event
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.tracking.api import _session_id
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.backends.base import ledger
from personalization_plugin.tracking.identity import merge_visitor
from tests.reliability.audit import redis_traces_at_rest

pytestmark = pytest.mark.django_db

VID = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
CID = "merged-customer-4471"


def test_the_login_merge_record_holds_no_customer_id_in_clear(use_redis: Any) -> None:
    merge_visitor(VID, CID)
    names = [n.decode() for n in use_redis.scan_iter(f"{key('merged')}:*")]
    assert len(names) == 1, "the merge record is in Redis"
    assert CID.encode() not in use_redis.get(names[0])
    assert redis_traces_at_rest(use_redis, {VID, CID, f"c:{CID}", f"v:{VID}"}) == []


def test_another_process_still_reads_which_customer_a_visitor_became(use_redis: Any) -> None:
    merge_visitor(VID, CID)
    ledger.clear()  # what a process that did not see the login knows
    assert get_backend().merged_visitors({VID}) == {VID: CID}


def test_a_sealed_merge_record_copied_under_another_visitor_does_not_open(
    use_redis: Any,
) -> None:
    merge_visitor(VID, CID)
    ledger.clear()
    [name] = use_redis.scan_iter(f"{key('merged')}:*")
    other = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
    from personalization_plugin.tracking.backends.redis_stream import merge_record_names

    use_redis.set(merge_record_names(other)[0], use_redis.get(name))
    assert get_backend().merged_visitors({other}) == {}


def test_merge_records_are_read_under_an_older_hash_key(use_redis: Any, personalization) -> None:
    personalization(HASH_KEY="merge-old-key")
    merge_visitor(VID, CID)
    ledger.clear()
    personalization(HASH_KEY="merge-new-key", HASH_KEY_FALLBACKS=["merge-old-key"])
    assert get_backend().merged_visitors({VID}) == {VID: CID}
    personalization(HASH_KEY="merge-new-key", HASH_KEY_FALLBACKS=[])
    assert get_backend().merged_visitors({VID}) == {}


def test_erasure_tombstones_are_honoured_under_an_older_hash_key(
    use_redis: Any, personalization
) -> None:
    personalization(HASH_KEY="tomb-old-key")
    get_backend().mark_erased({f"v:{VID}"}, 1e12)
    ledger.clear()
    personalization(HASH_KEY="tomb-new-key", HASH_KEY_FALLBACKS=["tomb-old-key"])
    assert f"v:{VID}" in get_backend().erased_subjects({f"v:{VID}"})


def test_a_customer_erased_elsewhere_gets_no_buffered_visitor_event_back(use_redis: Any) -> None:
    """The visitor browsed, signed in (merge) and the customer was erased from another
    device before the flush: the merge must not attribute the buffered event to them."""
    track("search", visitor_id=VID, query="before sign-in")
    merge_visitor(VID, CID)
    erase(customer_id=CID)
    ledger.clear()  # the flusher is another process
    get_backend().flush()
    assert not Event.objects.filter(customer_id=CID).exists()


def test_the_session_pseudonym_uses_the_hash_key_not_secret_key(settings, personalization) -> None:
    personalization(HASH_KEY="session-hash-key")
    request = RequestFactory().get("/")
    request.session = type("S", (), {"session_key": "sessionkey-abc123"})()
    before = _session_id(request)
    assert before and "sessionkey-abc123" not in before
    assert before == subjects.digest("sessionkey-abc123", purpose="session", length=16)
    settings.SECRET_KEY = "rotated-session-secret-" + "q" * 40
    assert _session_id(request) == before
    personalization(HASH_KEY="another-hash-key")
    assert _session_id(request) != before
