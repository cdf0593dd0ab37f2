"""`{% personalized_order %}`: a listing in the shopper's order, never a broken page."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from personalization_plugin import track
from personalization_plugin.engine import registry
from personalization_plugin.models import MerchandisingRule
from personalization_plugin.tracking.identity import Visitor
from tests.serving.conftest import HandModel, scored

pytestmark = pytest.mark.django_db
SHOPPER = Visitor(visitor_id="s" * 32, consent="granted")


def render(source: str, **context: Any) -> str:
    request = RequestFactory().get("/")
    request.visitor = SHOPPER  # type: ignore[attr-defined]
    return Template("{% load storefront_ranking %}" + source).render(
        Context({"request": request, **context})
    )


ORDERED = (
    "{% personalized_order products as ordered %}{% for p in ordered %}{{ p.pk }},{% endfor %}"
)


def pks(html: str) -> list[int]:
    return [int(pk) for pk in html.strip(",").split(",") if pk]


@pytest.fixture
def hand_model(monkeypatch: pytest.MonkeyPatch) -> HandModel:
    hand = HandModel()
    monkeypatch.setattr(registry, "get_active_model", lambda: hand)
    return hand


def test_a_shoppers_favourite_comes_first(catalog: list, hand_model: HandModel) -> None:
    favourite = catalog[9]
    hand_model.personal[SHOPPER.subject] = scored(favourite.pk)
    track("view", visitor=SHOPPER, product_id=str(catalog[0].pk))  # off this listing
    html = render(ORDERED, products=catalog[1:])
    assert pks(html)[0] == favourite.pk
    assert sorted(pks(html)) == sorted(p.pk for p in catalog[1:])


def test_a_queryset_works_and_merchandising_applies(catalog: list, hand_model: HandModel) -> None:
    from shop.models import Product

    boosted, excluded = catalog[7], catalog[2]
    MerchandisingRule.objects.create(
        action="boost", target_type="product", target_id=str(boosted.pk), strength=3
    )
    MerchandisingRule.objects.create(
        action="exclude", target_type="product", target_id=str(excluded.pk)
    )
    html = render(ORDERED, products=Product.objects.order_by("pk"))
    assert pks(html)[0] == boosted.pk
    assert excluded.pk not in pks(html)


def test_ids_come_back_as_ids(catalog: list, hand_model: HandModel) -> None:
    ids = [str(p.pk) for p in catalog]
    html = render("{% personalized_order ids as o %}{{ o|join:',' }}", ids=ids)
    assert html.split(",") == ids  # nobody's history: the store's order


def test_a_failure_logs_and_shows_the_store_order(
    catalog: list, caplog: pytest.LogCaptureFixture
) -> None:
    too_many = [str(k) for k in range(5_000)]
    with caplog.at_level(logging.ERROR, logger="storefront_widgets"):
        html = render("{% personalized_order ids as o %}{{ o|length }}", ids=too_many)
    assert html == "5000"
    assert "showing the store's order" in caplog.text
