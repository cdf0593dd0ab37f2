"""Receivers for `personalization_plugin.signals`, connected in AppConfig.ready().

A store page must never fail because tracking did, so every receiver catches
everything: the event is dropped and one log line names the event type and the error
(never the shopper's ids or input).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out

from personalization_plugin import signals
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.events import EventType
from personalization_plugin.core.exceptions import PersonalizationError

logger = logging.getLogger("personalization_plugin.tracking")

IDENTITY_KEYS = ("request", "visitor", "visitor_id", "customer_id", "occurred_at")


def _identity(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs[k] for k in IDENTITY_KEYS if kwargs.get(k) is not None}


def _never_raises(event_type: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @wraps(func)
        def receiver(sender: Any, **kwargs: Any) -> None:
            try:
                func(**kwargs)
            except PersonalizationError as exc:
                logger.warning("Dropped a %s event from a store signal: %s", event_type, exc)
            except Exception as exc:
                logger.error(
                    "Dropped a %s event from a store signal after an unexpected %s.",
                    event_type,
                    type(exc).__name__,
                )
                logger.debug("Traceback of the dropped %s event", event_type, exc_info=True)

        return receiver

    return decorate


def _track(event_type: EventType, fields: tuple[str, ...]) -> Callable[..., None]:
    from personalization_plugin.tracking.api import track

    @_never_raises(event_type)
    def receiver(**kwargs: Any) -> None:
        values = {name: kwargs[name] for name in fields if kwargs.get(name) is not None}
        track(event_type, **_identity(kwargs), **values)

    return receiver


@_never_raises(EventType.PURCHASE)
def on_order_placed(**kwargs: Any) -> None:
    from personalization_plugin.tracking.api import track_order

    track_order(
        **_identity(kwargs),
        order_id=kwargs.get("order_id"),  # type: ignore[arg-type]
        lines=list(kwargs.get("lines") or []),
        currency=kwargs.get("currency") or "",
    )


@_never_raises("login merge")
def on_user_logged_in(request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """Merge the anonymous visitor's history into the customer who just signed in
    (rotating the visitor id if another customer used it)."""
    from personalization_plugin.tracking.identity import Visitor, customer_id_for, on_login

    if request is None:
        return
    visitor = getattr(request, "visitor", None)
    customer_id = customer_id_for(user)
    if not isinstance(visitor, Visitor) or not customer_id:
        return
    request.visitor = on_login(request, visitor, customer_id)
    _remember_choice_for_customer(visitor, customer_id)


@_never_raises("logout rotation")
def on_user_logged_out(request: Any = None, **kwargs: Any) -> None:
    """A new visitor id for whoever uses the browser next (a shared browser)."""
    from personalization_plugin.tracking.identity import on_logout

    on_logout(request)


def _remember_choice_for_customer(visitor: Any, customer_id: str) -> None:
    """An anonymous consent choice follows the shopper into their account, if it has none."""
    from personalization_plugin.consent import forget_cached_consent
    from personalization_plugin.models import PrivacyChoice

    if visitor.consent in ("granted", "denied"):
        _, created = PrivacyChoice.objects.get_or_create(
            subject=subject_keys.customer(customer_id), defaults={"consent": visitor.consent}
        )
        if created:
            forget_cached_consent()


PRODUCT_FIELDS = ("product_id", "category_id", "quantity", "price", "currency", "session_id")
RECOMMENDATION_FIELDS = (
    "product_id",
    "placement",
    "model_version",
    "position",
    "recommendation_id",
)
RECEIVERS: list[tuple[Any, Callable[..., None]]] = []


def connect() -> None:
    """Connect the plugin's signal receivers; called from AppConfig.ready(). Idempotent."""
    if not RECEIVERS:
        RECEIVERS.extend(
            [
                (signals.product_viewed, _track(EventType.VIEW, PRODUCT_FIELDS)),
                (signals.category_viewed, _track(EventType.CATEGORY_VIEW, ("category_id",))),
                (signals.search_performed, _track(EventType.SEARCH, ("query", "category_id"))),
                (signals.cart_item_added, _track(EventType.CART_ADD, PRODUCT_FIELDS)),
                (signals.cart_item_removed, _track(EventType.CART_REMOVE, PRODUCT_FIELDS)),
                (signals.checkout_started, _track(EventType.CHECKOUT, ("product_id",))),
                (signals.order_placed, on_order_placed),
                (
                    signals.recommendation_impression,
                    _track(EventType.IMPRESSION, RECOMMENDATION_FIELDS),
                ),
                (signals.recommendation_click, _track(EventType.CLICK, RECOMMENDATION_FIELDS)),
            ]
        )
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"personalization.{id(signal)}")
    user_logged_in.connect(on_user_logged_in, dispatch_uid="personalization.login_merge")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="personalization.logout_rotate")
