"""Segment sizes over time, for reports and the dashboard.

`compute()` evaluates every enabled segment over every shopper in one batch (`batch.py`)
and stores one `SegmentSize` row per segment and day (recomputing a day replaces it);
`history()` is what the dashboard draws.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from personalization_plugin.segments import population
from personalization_plugin.segments.batch import Population, evaluate_tree
from personalization_plugin.segments.rules import compile_tree


def compute(
    now: datetime | None = None, *, save: bool = True, refresh_population: bool = True
) -> list[dict[str, Any]]:
    """Sizes of every enabled segment now: [{slug, name, size, population, context_dependent}]."""
    from personalization_plugin.scores.features import EventArrays
    from personalization_plugin.segments.models import Segment, SegmentSize

    now = now or timezone.now()
    stats = (
        population.refresh() if refresh_population and save else population.compute(now.timestamp())
    )
    events = EventArrays.load(until=now)
    pop = Population(events, now, stats)
    today: date = timezone.localtime(now, timezone.get_default_timezone()).date()
    results = []
    for segment in Segment.objects.filter(enabled=True).order_by("-priority", "slug"):
        members = evaluate_tree(segment.rules, pop)
        row = {
            "slug": segment.slug,
            "name": segment.name,
            "size": int(members.sum()),
            "population": pop.n,
            "context_dependent": compile_tree(segment.rules).needs_request,
        }
        results.append(row)
        if save:
            with transaction.atomic():
                SegmentSize.objects.update_or_create(
                    segment=segment,
                    date=today,
                    defaults={
                        "size": row["size"],
                        "population": row["population"],
                        "context_dependent": row["context_dependent"],
                        "computed_at": now,
                    },
                )
    return results


def history(days: int = 90) -> list[dict[str, Any]]:
    """Per enabled segment (priority order): slug, name and its daily sizes, oldest first:
    [{"slug", "name", "points": [{"date": "YYYY-MM-DD", "size", "population"}]}]."""
    from personalization_plugin.segments.models import Segment, SegmentSize

    since = timezone.localdate() - timedelta(days=days)
    rows = SegmentSize.objects.filter(date__gte=since, segment__enabled=True).order_by("date")
    points: dict[int, list[dict[str, Any]]] = {}
    for row in rows.values("segment_id", "date", "size", "population"):
        points.setdefault(row["segment_id"], []).append(
            {"date": row["date"].isoformat(), "size": row["size"], "population": row["population"]}
        )
    return [
        {"slug": s.slug, "name": s.name, "points": points.get(s.pk, [])}
        for s in Segment.objects.filter(enabled=True).order_by("-priority", "slug")
    ]
