"""Oscar's own signals, fed into `personalization_plugin.track` / `track_order`.

| Oscar signal                                  | plugin event               |
| --------------------------------------------- | -------------------------- |
| `catalogue.signals.product_viewed`            | "view"                     |
| `basket.signals.basket_addition`              | "cart_add"                 |
| `order.signals.order_placed`                  | "purchase" per order line  |
| `search.signals.user_search`                  | "search"                   |
| `customer.signals.user_registered`            | anonymous history merged   |

`order_placed` is sent by Oscar's `OrderCreator` without the request, so the basket
addition remembers (in Django's cache, for a day) which visitor filled which basket;
the order is then attributed to that visitor, or to the signed-in customer. Receivers
never raise into Oscar's views: failures are logged and the event is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache

from personalization_plugin.core.exceptions import PersonalizationError
from personalization_plugin.integrations.oscar.products import tracked_product_id
from personalization_plugin.tracking.identity import Visitor, customer_id_for, get_visitor

logger = logging.getLogger("personalization_plugin.integrations.oscar")

BASKET_VISITOR_TTL = 24 * 3600
CONNECTED: list[tuple[Any, Callable[..., None], str]] = []


def _never_raises(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @wraps(func)
        def receiver(sender: Any, **kwargs: Any) -> None:
            try:
                func(sender, **kwargs)
            except PersonalizationError as exc:
                logger.warning("Dropped an Oscar %s event: %s", name, exc)
            except Exception as exc:
                logger.error(
                    "Dropped an Oscar %s event after an unexpected %s.", name, type(exc).__name__
                )
                logger.debug("Traceback of the dropped Oscar %s event", name, exc_info=True)

        return receiver

    return decorate


def _basket_key(basket_id: Any) -> str:
    from personalization_plugin.core.conf import plugin_settings

    return f"{plugin_settings.KEY_PREFIX}:oscar:basket:{basket_id}"


def _price(product: Any, request: Any) -> Any:
    """The price the shopper saw, from Oscar's pricing strategy; None when unknown."""
    strategy = getattr(request, "strategy", None)
    if strategy is None:
        return None
    info = strategy.fetch_for_product(product)
    price: Any = getattr(info, "price", None)
    if price is None or not getattr(price, "exists", False):
        return None
    return price.incl_tax if price.is_tax_known else price.excl_tax


@_never_raises("product view")
def on_product_viewed(sender: Any, product: Any = None, request: Any = None, **kwargs: Any) -> None:
    from personalization_plugin import track

    if product is None or request is None or kwargs.get("raw"):
        return
    track("view", request=request, product_id=tracked_product_id(product))


@_never_raises("basket addition")
def on_basket_addition(
    sender: Any, product: Any = None, request: Any = None, **kwargs: Any
) -> None:
    from personalization_plugin import track

    if product is None or request is None or kwargs.get("raw"):
        return
    event = track(
        "cart_add",
        request=request,
        product_id=tracked_product_id(product),
        price=_price(product, request),
    )
    basket: Any = getattr(request, "basket", None)
    if event is not None and basket is not None and basket.id:
        visitor = get_visitor(request)
        cache.set(
            _basket_key(basket.id),
            {"visitor_id": visitor.visitor_id, "consent": visitor.consent, "gpc": visitor.gpc},
            BASKET_VISITOR_TTL,
        )


def _order_visitor(order: Any, user: Any) -> Visitor | None:
    """Who placed the order: the basket's visitor (with their consent) and/or the customer."""
    remembered = cache.get(_basket_key(order.basket_id)) if order.basket_id else None
    customer = customer_id_for(user) or (str(order.user_id) if order.user_id else "")
    if remembered:
        return Visitor(
            visitor_id=remembered["visitor_id"],
            customer_id=customer,
            consent=remembered["consent"],
            gpc=remembered["gpc"],
        )
    return None


@_never_raises("order")
def on_order_placed(sender: Any, order: Any = None, user: Any = None, **kwargs: Any) -> None:
    from personalization_plugin.tracking.api import track_order

    if order is None or kwargs.get("raw"):
        return
    lines = [
        {
            "product_id": tracked_product_id(line.product),
            "quantity": line.quantity,
            "price": line.unit_price_incl_tax,
        }
        for line in order.lines.select_related("product")
        if line.product is not None
    ]
    if not lines:
        return
    visitor = _order_visitor(order, user)
    identity: dict[str, Any] = {"visitor": visitor} if visitor else {}
    if visitor is None:
        customer = customer_id_for(user) or (str(order.user_id) if order.user_id else "")
        if not customer:
            return  # a guest order we cannot attribute to anyone consented: not tracked
        identity["customer_id"] = customer
    track_order(
        **identity,
        order_id=str(order.number),
        lines=lines,
        currency=order.currency,
        occurred_at=order.date_placed,
    )


@_never_raises("search")
def on_user_search(sender: Any, query: str = "", **kwargs: Any) -> None:
    from personalization_plugin import track

    request = getattr(sender, "request", None)  # Oscar sends the search view as sender
    if request is None or not (query or "").strip():
        return
    track("search", request=request, query=query.strip())


@_never_raises("registration")
def on_user_registered(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """A new account takes over the visitor's anonymous history, as a login does."""
    from personalization_plugin.tracking.receivers import on_user_logged_in

    on_user_logged_in(sender, request=request, user=user)


def connect_signals() -> None:
    """Connect Oscar's signals to tracking. Idempotent; called by the app's ready()."""
    from oscar.apps.basket.signals import basket_addition
    from oscar.apps.catalogue.signals import product_viewed
    from oscar.apps.customer.signals import user_registered
    from oscar.apps.order.signals import order_placed
    from oscar.apps.search.signals import user_search

    if not CONNECTED:
        CONNECTED.extend(
            [
                (product_viewed, on_product_viewed, "view"),
                (basket_addition, on_basket_addition, "cart_add"),
                (order_placed, on_order_placed, "order"),
                (user_search, on_user_search, "search"),
                (user_registered, on_user_registered, "registered"),
            ]
        )
    for signal, receiver, name in CONNECTED:
        signal.connect(receiver, dispatch_uid=f"personalization.oscar.{name}")


def disconnect_signals() -> None:
    for signal, receiver, name in CONNECTED:
        signal.disconnect(receiver, dispatch_uid=f"personalization.oscar.{name}")
