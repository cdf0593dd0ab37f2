"""Merging an anonymous visitor's history into a customer when they sign in."""

from __future__ import annotations

import logging

from personalization_plugin import signals
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.realtime import get_realtime

logger = logging.getLogger("personalization_plugin.tracking")


def merge_visitor(visitor_id: str, customer_id: str) -> int:
    """Attribute the visitor's events and real-time state to the customer.

    Stored events without a customer get `customer_id`; events still buffered get it
    when flushed (through the backend's merge ledger); recently viewed, recent items and
    the cart move to "c:<customer_id>". Sends `signals.visitor_merged`. Returns how many
    stored events were updated.
    """
    from personalization_plugin.models import Event

    if not visitor_id or not customer_id:
        return 0
    get_backend().record_merge(visitor_id, customer_id)
    updated = Event.objects.filter(visitor_id=visitor_id, customer_id="").update(
        customer_id=customer_id
    )
    get_realtime().merge(subject_keys.visitor(visitor_id), subject_keys.customer(customer_id))
    signals.visitor_merged.send(
        sender=merge_visitor, visitor_id=visitor_id, customer_id=customer_id
    )
    return updated
