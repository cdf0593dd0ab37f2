"""Hand-built Event rows for experiment and report tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from personalization_plugin.experiments.bucketing import arm_name
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import Event


def event(
    type: str,
    visitor_id: str,
    *,
    product_id: str = "1",
    at: datetime | None = None,
    placement: str = "",
    price: str | None = None,
    quantity: int = 1,
    order_id: str = "",
) -> Event:
    return Event(
        event_id=uuid.uuid4().hex,
        type=type,
        visitor_id=visitor_id,
        product_id=product_id,
        occurred_at=at or timezone.now() - timedelta(hours=1),
        placement=placement,
        price=Decimal(price) if price is not None else None,
        quantity=quantity,
        order_id=order_id,
    )


def running_experiment(**fields) -> Experiment:
    values = {
        "name": "For you vs popular",
        "placement": "for_you",
        "holdout_percent": 50,
        "status": Experiment.Status.RUNNING,
        "started_at": timezone.now() - timedelta(days=10),
        **fields,
    }
    return Experiment.objects.create(**values)


def visitors_in(experiment: Experiment, arm: str, count: int, prefix: str = "v") -> list[str]:
    """The first `count` visitor ids that the bucketing puts in `arm`."""
    found: list[str] = []
    i = 0
    while len(found) < count:
        vid = f"{prefix}{i}"
        if arm_name(experiment.pk, vid, experiment.holdout_percent) == arm:
            found.append(vid)
        i += 1
    return found
