"""Store signals become events; bad input is logged (without shopper data) and dropped."""

from __future__ import annotations

import logging

import pytest

from personalization_plugin import signals
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.realtime import get_realtime

pytestmark = pytest.mark.django_db
VISITOR = "9" * 32


@pytest.fixture
def request_(visitor_request):
    return visitor_request(VISITOR)


def stored_types() -> list[str]:
    get_backend().flush()
    return list(Event.objects.order_by("id").values_list("type", flat=True))


@pytest.mark.parametrize(
    ("signal", "kwargs", "event_type"),
    [
        (signals.product_viewed, {"product_id": "1"}, "view"),
        (signals.category_viewed, {"category_id": "chairs"}, "category_view"),
        (signals.search_performed, {"query": "lamp"}, "search"),
        (signals.cart_item_added, {"product_id": "1", "quantity": 2, "price": "3.50"}, "cart_add"),
        (signals.cart_item_removed, {"product_id": "1"}, "cart_remove"),
        (signals.checkout_started, {}, "checkout"),
        (
            signals.recommendation_impression,
            {"product_id": "1", "placement": "similar", "position": 2},
            "impression",
        ),
        (
            signals.recommendation_click,
            {"product_id": "1", "placement": "similar", "position": 2},
            "click",
        ),
    ],
)
def test_signal_is_recorded_as_its_event(request_, signal, kwargs, event_type) -> None:
    signal.send(sender=object, request=request_, **kwargs)
    assert stored_types() == [event_type]
    assert Event.objects.get().visitor_id == VISITOR


def test_order_placed_records_each_line(request_) -> None:
    signals.cart_item_added.send(sender=object, request=request_, product_id="1")
    signals.order_placed.send(
        sender=object,
        request=request_,
        order_id="o-77",
        currency="USD",
        lines=[
            {"product_id": "1", "quantity": 1, "price": "9.99"},
            {"product_id": "2", "quantity": 3},
        ],
    )
    assert stored_types() == ["cart_add", "purchase", "purchase"]
    assert get_realtime().cart(f"v:{VISITOR}") == []


def test_order_placed_without_request_uses_the_customer_id() -> None:
    signals.order_placed.send(
        sender=object, customer_id="55", order_id="o-1", lines=[{"product_id": "3"}]
    )
    get_backend().flush()
    assert Event.objects.get().customer_id == "55"


def test_unknown_product_is_logged_and_dropped_without_raising(request_, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="personalization_plugin"):
        signals.product_viewed.send(sender=object, request=request_, product_id="404")
    assert stored_types() == []
    assert "Dropped a view event" in caplog.text and "Unknown product" in caplog.text
    assert VISITOR not in caplog.text


def test_search_without_query_is_dropped_without_leaking_input(request_, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="personalization_plugin"):
        signals.search_performed.send(sender=object, request=request_, query="")
    assert stored_types() == []
    assert "Dropped a search event" in caplog.text


def test_unexpected_errors_never_reach_the_page(request_, caplog, monkeypatch) -> None:
    from personalization_plugin.tracking import api

    def explode(*args, **kwargs):
        raise KeyError("secret-shopper-value")

    monkeypatch.setattr(api, "build_event", explode)
    with caplog.at_level(logging.WARNING, logger="personalization_plugin"):
        signals.product_viewed.send(sender=object, request=request_, product_id="1")
    assert "unexpected KeyError" in caplog.text
    assert "secret-shopper-value" not in caplog.text


def test_signal_without_identity_is_dropped(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="personalization_plugin"):
        signals.product_viewed.send(sender=object, product_id="1")
    assert stored_types() == []
    assert "needs request=" in caplog.text


def test_opted_out_shopper_signals_store_nothing(request_) -> None:
    request_.COOKIES["sp_consent"] = "denied"
    signals.product_viewed.send(sender=object, request=request_, product_id="1")
    assert stored_types() == []
