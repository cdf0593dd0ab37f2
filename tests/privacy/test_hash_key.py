"""The shopper hash has its own key: a SECRET_KEY rotation forgets nobody who was erased."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from personalization_plugin.checks import check_hash_key
from personalization_plugin.core import subjects
from personalization_plugin.models import ErasedShopper, Event
from personalization_plugin.privacy.erasure import erase, is_erased

pytestmark = pytest.mark.django_db

ORDERS = "timestamp,user,item,event\n"


@pytest.fixture
def orders_csv(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        ORDERS
        + "2026-01-05T10:00:00+00:00,erased-cust,1,purchase\n"
        + "2026-01-06T10:00:00+00:00,kept-cust,2,purchase\n"
    )
    return path


def imported_customers(path) -> set[str]:
    call_command("personalization_import", csv=str(path), customers=True, no_progress=True)
    return set(Event.objects.values_list("customer_id", flat=True))


def test_digest_uses_hash_key_not_secret_key(settings, personalization) -> None:
    personalization(HASH_KEY="hash-one")
    before = subjects.digest("v:abc")
    settings.SECRET_KEY = "rotated-secret-key-" + "x" * 40
    assert subjects.digest("v:abc") == before
    personalization(HASH_KEY="hash-two")
    assert subjects.digest("v:abc") != before


def test_lookups_honour_hash_key_fallbacks(personalization) -> None:
    personalization(HASH_KEY="old-hash-key")
    erase(customer_id="c42")
    personalization(HASH_KEY="new-hash-key", HASH_KEY_FALLBACKS=["old-hash-key"])
    assert is_erased("c:c42")
    personalization(HASH_KEY="new-hash-key", HASH_KEY_FALLBACKS=[])
    assert not is_erased("c:c42")  # a key nobody lists any more matches nothing


@pytest.mark.parametrize("with_hash_key", [True, False])
def test_erased_shopper_stays_out_of_a_reimport_after_secret_key_rotation(
    settings, personalization, orders_csv, with_hash_key
) -> None:
    """With HASH_KEY nothing depends on SECRET_KEY; without it (the fallback), Django's
    own rotation procedure (the old key in SECRET_KEY_FALLBACKS) is honoured."""
    personalization(HASH_KEY="stable-hash-key" if with_hash_key else None)
    old_secret = settings.SECRET_KEY
    assert imported_customers(orders_csv) == {"erased-cust", "kept-cust"}
    erase(customer_id="erased-cust")
    settings.SECRET_KEY = "rotated-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = [] if with_hash_key else [old_secret]
    Event.objects.all().delete()
    assert imported_customers(orders_csv) == {"kept-cust"}
    assert ErasedShopper.objects.count() >= 1


def test_check_warns_in_production_without_a_hash_key(settings) -> None:
    settings.DEBUG = False
    [warning] = check_hash_key({})
    assert warning.id == "personalization.W020" and "not set" in warning.msg
    assert "HASH_KEY" in warning.hint and "secrets.token_urlsafe" in warning.hint


def test_check_warns_when_hash_key_is_secret_key(settings) -> None:
    settings.DEBUG = False
    [warning] = check_hash_key({"HASH_KEY": settings.SECRET_KEY})
    assert warning.id == "personalization.W020" and "same as SECRET_KEY" in warning.msg


def test_check_is_quiet_with_a_dedicated_key_or_in_debug(settings) -> None:
    settings.DEBUG = False
    assert check_hash_key({"HASH_KEY": "k" * 50, "HASH_KEY_FALLBACKS": ["old"]}) == []
    settings.DEBUG = True
    assert check_hash_key({}) == []


def test_check_rejects_malformed_keys(settings) -> None:
    settings.DEBUG = True
    assert [m.id for m in check_hash_key({"HASH_KEY": 5})] == ["personalization.E020"]
    assert [m.id for m in check_hash_key({"HASH_KEY_FALLBACKS": "old"})] == ["personalization.E020"]
