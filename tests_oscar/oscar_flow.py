"""Shopper journeys through Oscar's own views and order utilities, for the flow tests."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse


def view_product(client: Client, product: Any) -> Any:
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200, response.status_code
    return response


def add_to_basket(client: Client, product: Any, quantity: int = 1) -> None:
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": quantity})
    assert response.status_code == 302, response.status_code


def place_order(client: Client, user: Any = None) -> Any:
    """Place an order from the client's open basket with Oscar's OrderCreator."""
    from oscar.apps.checkout.calculators import OrderTotalCalculator
    from oscar.apps.order.utils import OrderCreator, OrderNumberGenerator
    from oscar.apps.partner.strategy import Selector
    from oscar.apps.shipping.methods import Free
    from oscar.core.loading import get_model

    basket_model = get_model("basket", "Basket")
    basket_id = _basket_from_cookie(client)
    basket = basket_model.objects.get(pk=basket_id)
    basket.strategy = Selector().strategy()
    shipping = Free()
    charge = shipping.calculate(basket)
    total = OrderTotalCalculator().calculate(basket, charge)
    return OrderCreator().place_order(
        basket=basket,
        total=total,
        shipping_method=shipping,
        shipping_charge=charge,
        user=user,
        order_number=OrderNumberGenerator().order_number(basket),
        guest_email="" if user else "guest@example.com",
    )


def _basket_from_cookie(client: Client) -> int:
    from django.conf import settings
    from django.core.signing import Signer

    signed = client.cookies[settings.OSCAR_BASKET_COOKIE_OPEN].value
    return int(Signer().unsign(signed))
