"""Revenue attributed to recommendations.

An order line counts as attributed when the same visitor clicked a recommendation of
that same product at most `window_days` before buying it (both ends inclusive). This is
one correlated EXISTS subquery, so it runs in the database on SQLite and PostgreSQL
alike, however many events there are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Value,
)

from personalization_plugin.models import Event

LINE_TOTAL = ExpressionWrapper(
    F("price") * F("quantity"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def recommendation_clicks(window_days: int, placement: str | None = None) -> QuerySet[Event]:
    """Clicks that could have caused the outer purchase row (for use inside Exists)."""
    earliest = ExpressionWrapper(
        OuterRef("occurred_at") - Value(timedelta(days=window_days)),
        output_field=DateTimeField(),
    )
    clicks = Event.objects.filter(
        type="click",
        visitor_id=OuterRef("visitor_id"),
        product_id=OuterRef("product_id"),
        occurred_at__lte=OuterRef("occurred_at"),
        occurred_at__gte=earliest,
    )
    if placement:
        clicks = clicks.filter(placement=placement)
    return clicks


def attributed_purchases(
    *,
    window_days: int,
    since: datetime | None = None,
    until: datetime | None = None,
    placement: str | None = None,
) -> QuerySet[Event]:
    """Purchase lines (in [since, until)) preceded by a click on the same product."""
    purchases = Event.objects.filter(type="purchase")
    if since is not None:
        purchases = purchases.filter(occurred_at__gte=since)
    if until is not None:
        purchases = purchases.filter(occurred_at__lt=until)
    return purchases.filter(Exists(recommendation_clicks(window_days, placement)))
