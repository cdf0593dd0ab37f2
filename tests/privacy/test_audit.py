"""The privacy audit after the attacks of issue 12: a shared browser, a SECRET_KEY
rotation followed by a re-import, a demo-like visit through Redis, an in-process cache.

Every table of the plugin, every Redis key and value under the prefix, the event
buffer, every artifact and the captured logs are searched (`tests.reliability.audit`);
concurrent erasures are audited in `test_concurrent_erasure`.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from personalization_plugin.core import subjects
from personalization_plugin.models import Event
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.serving import placements
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import Visitor, unsign_visitor_id
from personalization_plugin.tracking.realtime import get_realtime
from tests.demo.conftest import category, make_product
from tests.privacy.test_shared_browser import customers, search, share_one_browser, sign_in
from tests.reliability.audit import (
    artifact_traces,
    buffer_traces,
    database_traces,
    log_traces,
    needles_for,
    redis_traces,
    redis_traces_at_rest,
)

pytestmark = pytest.mark.django_db
__all__ = ["category", "customers", "make_product"]  # fixtures, imported for their names


@pytest.fixture(autouse=True)
def demo_store(settings: Any) -> None:
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "ADAPTER": "shop.adapter.ShopAdapter"}


def opt_out(model: Any, row: Any) -> bool:
    """The recorded opt-out is kept on purpose: it is what stops tracking them again."""
    from personalization_plugin.models import PrivacyChoice

    return model is PrivacyChoice and "denied" in row


def traces(client: Any, needles: set[str], logs: str) -> list[str]:
    return [
        *database_traces(needles, allow=opt_out),
        *redis_traces(client, needles),
        *artifact_traces(needles),
        *buffer_traces(needles),
        *log_traces(logs, needles),
    ]


def test_shared_browser_forget_me_leaves_no_trace_of_the_first_customer_and_keeps_the_second(
    customers, use_redis, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = Client()
    search(browser, "warm-up")  # the visitor cookie of the first customer's visit
    first_visitor = unsign_visitor_id(browser.cookies["sp_vid"].value)
    browser = share_one_browser(customers, browser)
    ada, bob = (str(u.pk) for u in customers)
    browser.post("/accounts/logout/")
    sign_in(browser, "ada")
    assert browser.post("/personalization/forget-me/").status_code in (200, 302)
    get_backend().flush()
    needles = needles_for(first_visitor, f"ada-{ada}") | {f"c:{ada}", "ada private search"}
    needles.discard(f"ada-{ada}")
    left = traces(use_redis, needles, caplog.text)
    assert left == [], "\n".join(left)
    kept = set(Event.objects.filter(customer_id=bob).values_list("query", flat=True))
    assert "bob private search" in kept


def test_secret_key_rotation_and_reimport_bring_no_erased_shopper_back(
    settings, personalization, tmp_path, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    personalization(HASH_KEY="audit-hash-key")
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "timestamp,user,item,event\n"
        "2026-01-05T10:00:00+00:00,gone-7731,1,purchase\n"
        "2026-01-06T10:00:00+00:00,kept-7732,2,purchase\n"
    )
    call_command("personalization_import", csv=str(csv), customers=True, no_progress=True)
    erase(customer_id="gone-7731")
    settings.SECRET_KEY = "rotated-" + "z" * 50
    call_command("personalization_import", csv=str(csv), customers=True, no_progress=True)
    get_backend().flush()
    left = [
        *database_traces({"gone-7731", "c:gone-7731"}),
        *buffer_traces({"gone-7731"}),
        *log_traces(caplog.text, {"gone-7731"}),
    ]
    assert left == [], "\n".join(left)
    assert Event.objects.filter(customer_id="kept-7732").exists()


def test_redis_key_names_after_a_demo_visit_hold_no_shopper_id(
    customers, use_redis, make_product
) -> None:
    """A visit as the demo makes it (product page, cart, search, sign-in, widgets): every
    per-shopper key is named by the keyed hash, never by a visitor or customer id."""
    product = make_product()
    browser = Client()
    browser.get(product.get_absolute_url())
    browser.post(f"/cart/add/{product.pk}/")
    search(browser, "skillet")
    visitor = unsign_visitor_id(browser.cookies["sp_vid"].value)
    sign_in(browser, "ada")
    browser.get(product.get_absolute_url())
    browser.get("/widgets/p/for_you/")
    browser.get("/widgets/p/recently_viewed/")
    ada = str(customers[0].pk)
    names = [k.decode() for k in use_redis.scan_iter("*")]
    assert any(subjects.digest(f"c:{ada}", purpose="realtime") in n for n in names)

    def names_a_shopper(name: str) -> bool:
        # whole ":"-separated parts: a digest such as "303d..." after "rec:" is not "c:3"
        parts = name.split(":")
        pairs = zip(parts, parts[1:], strict=False)
        return visitor in name or ada in parts or any(p == ("c", ada) for p in pairs)

    raw = [n for n in names if names_a_shopper(n)]
    assert raw == []


def test_redis_values_after_a_demo_visit_hold_no_shopper_id_in_clear(
    django_user_model, use_redis, make_product
) -> None:
    """Values too (strings, hashes, sets, zsets, lists), not only names, while the
    shopper is active: the login-merge record once held the customer id in clear.
    The customer's pk is one no product or counter has, so an exact match is theirs."""
    django_user_model.objects.create_user("ada", password="pw-ada-123", pk=734119)
    product = make_product()
    browser = Client()
    browser.get(product.get_absolute_url())
    browser.post(f"/cart/add/{product.pk}/")
    search(browser, "skillet")
    visitor = unsign_visitor_id(browser.cookies["sp_vid"].value)
    sign_in(browser, "ada")
    browser.get(product.get_absolute_url())
    browser.get("/widgets/p/for_you/")
    ada = "734119"
    assert any(b":merged:" in n for n in use_redis.scan_iter("*")), "the login was merged"
    needles = {visitor, f"v:{visitor}", f"c:{ada}", f'"customer_id": "{ada}"', f"ada-{ada}"}
    assert redis_traces_at_rest(use_redis, needles, exact={ada}) == []


def test_erasure_clears_the_in_process_purchases_cache(make_product) -> None:
    product = make_product()
    visitor = Visitor(visitor_id="f" * 32)
    from personalization_plugin import track

    track("purchase", visitor_id=visitor.visitor_id, product_id=str(product.pk), order_id="o1")
    get_backend().flush()
    assert placements._purchased(visitor, visitor.subject, []) == {str(product.pk)}
    assert placements._purchases.get((visitor.subject, ()))
    erase(visitor_id=visitor.visitor_id)
    assert placements._purchases.get((visitor.subject, ())) is None


def test_erasure_reaches_redis_state_named_under_an_older_hash_key(
    use_redis, personalization
) -> None:
    personalization(HASH_KEY="old-hash-key")
    from personalization_plugin import track

    track("view", visitor_id="e" * 32, product_id="p1", validate_products=False)
    old_name = subjects.digest(f"v:{'e' * 32}", purpose="realtime")
    assert any(old_name in k.decode() for k in use_redis.scan_iter("*"))
    personalization(HASH_KEY="new-hash-key", HASH_KEY_FALLBACKS=["old-hash-key"])
    assert get_realtime().recently_viewed(f"v:{'e' * 32}") == []  # read under the new key
    report = erase(visitor_id="e" * 32)
    assert report["old_key_names"] >= 1
    assert not any(old_name in k.decode() for k in use_redis.scan_iter("*"))
