"""Signals a store sends to tell the plugin what a shopper did.

Each is sent with `sender` (any object) and keyword arguments; `request` is strongly
recommended, since identity and consent come from it. Receivers are connected in
`PersonalizationConfig.ready()` and never raise: a storefront page never fails
because tracking did.

    from personalization_plugin import signals
    signals.product_viewed.send(sender=Product, request=request, product_id=str(product.pk))
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: request, product_id
product_viewed = Signal()
# kwargs: request, category_id
category_viewed = Signal()
# kwargs: request, query
search_performed = Signal()
# kwargs: request, product_id, quantity=1, price=None
cart_item_added = Signal()
# kwargs: request, product_id, quantity=1
cart_item_removed = Signal()
# kwargs: request
checkout_started = Signal()
# kwargs: request (or visitor_id/customer_id), order_id, lines=[{"product_id", "quantity", "price"}], currency
order_placed = Signal()
# kwargs: request, product_id, placement, model_version, position
recommendation_impression = Signal()
recommendation_click = Signal()

# Sent by the plugin after a visitor's anonymous history has been merged into an account.
# kwargs: visitor_id, customer_id
visitor_merged = Signal()

# Sent by the plugin when a journey message is sent (`personalization_triggers`), once per
# message, by its delivery task, after consent was checked again: an in-process sender
# (an email library in the same project) sends on it. kwargs: kind, customer_id,
# idempotency_key (the occasion), delivery_id (the message: dedupe on it), payload (the
# JSON-able dict also posted to TRIGGER_WEBHOOK_URL, with recommended products).
trigger_fired = Signal()
