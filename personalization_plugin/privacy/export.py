"""Data export: everything stored about one shopper, as JSON-ready data."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from personalization_plugin.core import subjects as subject_keys

EVENT_FIELDS = (
    "event_id",
    "type",
    "visitor_id",
    "customer_id",
    "product_id",
    "category_id",
    "session_id",
    "order_id",
    "query",
    "quantity",
    "price",
    "currency",
    "placement",
    "model_version",
    "position",
    "payload",
    "occurred_at",
)


def export_subject(visitor_id: str | None = None, customer_id: str | None = None) -> dict[str, Any]:
    """All data held about a visitor and/or customer: the customer's events and the
    visitor's anonymous ones (never another customer's under the same visitor id).

    Buffered events are flushed first so that they are included. Returns a dict with
    "subjects", "generated_at", "events" (oldest first), "realtime" (per subject:
    recently_viewed, recent_items, cart), "consent" (stored choices) and "preferences"
    (privacy-center choices: muted categories and messages).
    Raises ValueError without any id.
    """
    from personalization_plugin.models import Event, PrivacyChoice, ShopperPreference
    from personalization_plugin.privacy.erasure import owned_events
    from personalization_plugin.tracking.backends import get_backend
    from personalization_plugin.tracking.dead_letters import export_dead_letters
    from personalization_plugin.tracking.realtime import get_realtime

    if not visitor_id and not customer_id:
        raise ValueError("export_subject() needs visitor_id or customer_id.")
    get_backend().flush()
    # Only what provably belongs to the requester: never the events or state of another
    # customer who used the same browser (and so the same visitor id) before.
    subjects = subject_keys.keys_of(visitor_id, customer_id) if visitor_id else set()
    if customer_id:
        subjects.add(subject_keys.customer(customer_id))
    events = Event.objects.filter(owned_events(visitor_id, customer_id, for_erasure=False))
    rows = [_event_row(row) for row in events.order_by("occurred_at", "id").values(*EVENT_FIELDS)]
    realtime = get_realtime()
    choices = PrivacyChoice.objects.filter(subject__in=subjects).order_by("subject")
    preferences = ShopperPreference.objects.filter(subject__in=subjects).order_by("subject")
    return {
        "subjects": sorted(subjects),
        "generated_at": timezone.now().isoformat(),
        "events": rows,
        "realtime": {subject: realtime.state(subject) for subject in sorted(subjects)},
        "consent": [
            {"subject": c.subject, "consent": c.consent, "updated_at": c.updated_at.isoformat()}
            for c in choices
        ],
        "dead_letters": export_dead_letters(subjects),
        "preferences": [
            {
                "subject": p.subject,
                "muted_categories": list(p.muted_categories),
                "muted_messages": list(p.muted_messages),
                "updated_at": p.updated_at.isoformat(),
            }
            for p in preferences
        ],
    }


def _event_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["occurred_at"] = row["occurred_at"].isoformat()
    row["price"] = str(row["price"]) if row["price"] is not None else None
    return row
