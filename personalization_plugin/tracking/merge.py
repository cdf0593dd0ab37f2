"""Merging an anonymous visitor's history into a customer when they sign in.

Only the history recorded on this browser since another customer last used it is
attached: a visitor id shared by two customers (one browser, signed into in turn) never
hands the first customer's anonymous browsing to the second.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Max

from personalization_plugin import signals
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.realtime import get_realtime

logger = logging.getLogger("personalization_plugin.tracking")


def merge_visitor(visitor_id: str, customer_id: str) -> int:
    """Attribute the visitor's events and real-time state to the customer.

    Stored events without a customer get `customer_id` (only those recorded after the
    last event of another customer under this visitor id); events still buffered get it
    when flushed (through the backend's merge ledger); recently viewed, recent items and
    the cart move to "c:<customer_id>". Sends `signals.visitor_merged`. Returns how many
    stored events were updated.
    """
    from personalization_plugin.models import Event

    if not visitor_id or not customer_id:
        return 0
    get_backend().record_merge(visitor_id, customer_id)
    anonymous = Event.objects.filter(visitor_id=visitor_id, customer_id="")
    since = _last_event_of_another_customer(visitor_id, customer_id)
    if since is not None:
        anonymous = anonymous.filter(occurred_at__gt=since)
    updated = anonymous.update(customer_id=customer_id)
    get_realtime().merge(subject_keys.visitor(visitor_id), subject_keys.customer(customer_id))
    signals.visitor_merged.send(
        sender=merge_visitor, visitor_id=visitor_id, customer_id=customer_id
    )
    return updated


def _last_event_of_another_customer(visitor_id: str, customer_id: str) -> datetime | None:
    from personalization_plugin.models import Event

    others = Event.objects.filter(visitor_id=visitor_id).exclude(customer_id__in=["", customer_id])
    return others.aggregate(last=Max("occurred_at"))["last"]


def used_by_another_customer(visitor_id: str, customer_id: str) -> bool:
    """Whether events of a customer other than `customer_id` are stored under this
    visitor id (the browser was shared): the id must then be rotated."""
    return _last_event_of_another_customer(visitor_id, customer_id) is not None
