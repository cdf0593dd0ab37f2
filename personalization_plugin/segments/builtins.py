"""Segments ready on install, created after `migrate` (owners edit or disable them freely).

They are created only while no built-in segment exists, so one an owner deleted stays
deleted; disabling is the gentler way to hide one.
"""

from __future__ import annotations

from typing import Any

BUILTIN_SEGMENTS: list[dict[str, Any]] = [
    {
        "slug": "cart-abandoners",
        "name": "Cart abandoners",
        "priority": 90,
        "description": "Left products in the cart for an hour or more without ordering.",
        "rules": {"rule": "abandoned_cart", "idle_minutes": 60},
    },
    {
        "slug": "at-risk",
        "name": "At risk",
        "priority": 80,
        "description": "Repeat buyers past 1.5x their usual time between orders, not yet lapsed.",
        "rules": {
            "all": [
                {"rule": "at_risk", "factor": 1.5, "min_days": 7},
                {"not": {"rule": "lapsed", "days": 180}},
            ]
        },
    },
    {
        "slug": "lapsed",
        "name": "Lapsed customers",
        "priority": 70,
        "description": "Bought before, but not in the last 180 days.",
        "rules": {"rule": "lapsed", "days": 180},
    },
    {
        "slug": "loyal",
        "name": "Loyal customers",
        "priority": 60,
        "description": "Five orders or more.",
        "rules": {"rule": "loyal", "min_orders": 5},
    },
    {
        "slug": "big-spenders",
        "name": "Big spenders",
        "priority": 50,
        "description": "Top 10% of customers by total spend (after `personalization_segments`).",
        "rules": {"rule": "top_spenders", "percent": 10},
    },
    {
        "slug": "repeat-buyers",
        "name": "Repeat buyers",
        "priority": 40,
        "description": "Two orders or more.",
        "rules": {"rule": "repeat_buyer"},
    },
    {
        "slug": "first-time-buyers",
        "name": "First-time buyers",
        "priority": 30,
        "description": "Exactly one order so far.",
        "rules": {"rule": "first_time_buyer"},
    },
    {
        "slug": "returning-visitors",
        "name": "Returning visitors",
        "priority": 20,
        "description": "Were here on an earlier day.",
        "rules": {"rule": "returning_visitor"},
    },
    {
        "slug": "new-visitors",
        "name": "New visitors",
        "priority": 10,
        "description": "No activity before today.",
        "rules": {"rule": "new_visitor"},
    },
]


def ensure_builtins(using: str = "default") -> int:
    """Create the built-in segments if none exists yet; returns how many were created.

    Called after `migrate` (a `post_migrate` receiver), never on a storefront read."""
    from personalization_plugin.segments.models import Segment

    segments = Segment.objects.using(using)
    if segments.filter(builtin=True).exists():
        return 0
    created = 0
    for spec in BUILTIN_SEGMENTS:
        _, made = segments.get_or_create(slug=spec["slug"], defaults={**spec, "builtin": True})
        created += int(made)
    return created
