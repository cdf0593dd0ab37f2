"""Revenue attributed to recommendations: the one definition every page uses.

An order line counts as attributed when the same person (the signed-in customer, else
the visitor) clicked a recommendation of that same product at most `window_days` before
buying it (both ends inclusive). `attributed_by_person` reads the clicks and the order
lines of the window once each and matches them in Python, which stays fast at millions
of events; `attributed_purchases` is the same rule by visitor as one correlated EXISTS
subquery, for callers that need a queryset.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat

from personalization_plugin.core import subjects
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


def events_where(where: Q | None, **filters: object) -> QuerySet[Event]:
    """Events matching `filters` and, when given, `where` (e.g. some people's ids: the
    experiment roll-up's recount reads only the people whose events changed)."""
    events = Event.objects.filter(**filters)
    return events.filter(where) if where is not None else events


def person_expression() -> Case:
    """The person key of an event row, in SQL: "c:<customer id>", else the visitor id
    (`bucketing.person_key` in Python)."""
    return Case(
        When(customer_id="", then=F("visitor_id")),
        default=Concat(Value(subjects.customer("")), F("customer_id")),
        output_field=CharField(),
    )


def attributed_by_person(
    *,
    window_days: int,
    since: datetime,
    until: datetime,
    placement: str | None = None,
    people: set[str] | None = None,
    where: Q | None = None,
) -> dict[str, float]:
    """Attributed revenue of order lines in [since, until), per person key.

    `where` narrows the clicks and order lines read (e.g. to some people's ids: the
    experiment roll-up); `people` then keeps only those keys, as without it.

    Store-wide (no placement), the order lines of the window are read first and only
    their buyers' clicks next (by visitor id and by customer id, both indexed), so the
    cost follows the number of orders. For one placement its clicks are few: they are
    read first and the lines matched against them.
    """
    window = timedelta(days=window_days)
    if placement:
        return _by_placement_clicks(window, since, until, placement, people, where)
    lines = [
        line
        for line in Event.objects.filter(
            type="purchase", occurred_at__gte=since, occurred_at__lt=until
        )
        .filter(where or Q())
        .annotate(person=person_expression(), total=LINE_TOTAL)
        .values_list("person", "visitor_id", "customer_id", "product_id", "occurred_at", "total")
        .order_by()
        if people is None or line[0] in people
    ]
    if not lines:
        return {}
    clicks = Event.objects.filter(
        type="click", occurred_at__gte=since - window, occurred_at__lt=until
    )
    if placement:
        clicks = clicks.filter(placement=placement)
    clicked: dict[tuple[str, str], list[datetime]] = {}
    for field, ids in (
        ("visitor_id", sorted({line[1] for line in lines})),
        ("customer_id", sorted({line[2] for line in lines if line[2]})),
    ):
        for k in range(0, len(ids), 500):
            rows = (
                clicks.filter(**{f"{field}__in": ids[k : k + 500]})
                .annotate(person=person_expression())
                .values_list("person", "product_id", "occurred_at")
                .order_by()
            )
            for person, product, at in rows:  # a click found twice changes nothing
                clicked.setdefault((person, product), []).append(at)
    revenue: dict[str, float] = {}
    for person, _, _, product, at, total in lines:
        times = clicked.get((person, product))
        if times and any(at - window <= t <= at for t in times):
            revenue[person] = revenue.get(person, 0.0) + float(total or 0)
    return revenue


def _by_placement_clicks(
    window: timedelta,
    since: datetime,
    until: datetime,
    placement: str,
    people: set[str] | None,
    where: Q | None,
) -> dict[str, float]:
    clicked: dict[tuple[str, str], list[datetime]] = {}
    for person, product, at in (
        events_where(
            where,
            type="click",
            placement=placement,
            occurred_at__gte=since - window,
            occurred_at__lt=until,
        )
        .annotate(person=person_expression())
        .values_list("person", "product_id", "occurred_at")
        .order_by()
    ):
        if people is None or person in people:
            clicked.setdefault((person, product), []).append(at)
    revenue: dict[str, float] = {}
    if not clicked:
        return revenue
    products = sorted({product for _, product in clicked})
    for k in range(0, len(products), 500):
        lines = (
            events_where(
                where,
                type="purchase",
                occurred_at__gte=since,
                occurred_at__lt=until,
                product_id__in=products[k : k + 500],
            )
            .annotate(person=person_expression(), total=LINE_TOTAL)
            .values_list("person", "product_id", "occurred_at", "total")
            .order_by()
        )
        for person, product, at, total in lines:
            times = clicked.get((person, product))
            if times and any(at - window <= t <= at for t in times):
                revenue[person] = revenue.get(person, 0.0) + float(total or 0)
    return revenue
