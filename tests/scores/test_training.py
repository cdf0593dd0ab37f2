"""Training on a time split: AUC reported, models stored, usable as segment rules."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from personalization_plugin.models import Event
from personalization_plugin.scores import model as score_model
from personalization_plugin.scores.models import ScoreModel
from personalization_plugin.scores.training import train

pytestmark = pytest.mark.django_db


def shop_history(seed: int = 5) -> None:
    """Steady customers order every week for 90 days; drifting ones stop after a few weeks."""
    rng = random.Random(seed)
    now = timezone.now()
    rows = []
    for n in range(80):
        steady = n % 2 == 0
        stop = 90 if steady else rng.uniform(15, 75)
        day = rng.uniform(0, 7)
        while day < stop:
            at = now - timedelta(days=90 - day)
            common = {"visitor_id": f"v{n}", "customer_id": f"c{n}", "occurred_at": at}
            rows.append(Event(event_id=uuid.uuid4().hex, type="view", product_id="1", **common))
            if rng.random() < 0.8:
                rows.append(
                    Event(
                        event_id=uuid.uuid4().hex,
                        type="purchase",
                        product_id="1",
                        order_id=f"{n}-{day:.2f}",
                        price=Decimal("12"),
                        **common,
                    )
                )
            day += rng.uniform(4, 10)
    Event.objects.bulk_create(rows)


def test_evaluation_reports_auc_above_chance_and_the_baseline_alongside():
    shop_history()
    results = train(21, save=False)
    churn = results["churn_risk"]
    assert churn["auc"] > 0.7
    assert 0 <= churn["baseline_auc"] <= 1
    assert churn["train_size"] > 20 and churn["test_size"] > 20
    assert not ScoreModel.objects.exists()


def test_training_stores_models_with_readable_coefficients():
    shop_history()
    train(21)
    metrics = score_model.metrics()
    assert set(metrics) == {"churn_risk", "purchase_propensity"}
    assert "recency" in metrics["churn_risk"]["coefficients"]
    assert metrics["churn_risk"]["coefficients"]["recency"] > 0  # long silence: more churn risk


def test_too_little_history_is_reported_not_raised():
    Event.objects.create(
        event_id="x", type="view", visitor_id="v", product_id="1", occurred_at=timezone.now()
    )
    results = train(21)
    assert "need 20" in results["churn_risk"]["error"]
    assert not ScoreModel.objects.exists()


def test_scores_are_usable_as_segment_rules():
    from personalization_plugin.segments.engine import slugs_for
    from personalization_plugin.segments.models import Segment
    from personalization_plugin.tracking.identity import Visitor

    shop_history()
    train(21)
    Segment.objects.create(
        name="Churn",
        slug="churn",
        rules={"rule": "score", "score": "churn_risk", "op": ">=", "value": 0.7},
    )
    steady = slugs_for(visitor=Visitor(visitor_id="v0", customer_id="c0"))
    gone = [
        f"c{n}"
        for n in range(1, 80, 2)
        if "churn" in slugs_for(visitor=Visitor(visitor_id=f"v{n}", customer_id=f"c{n}"))
    ]
    assert "churn" not in steady
    assert len(gone) >= 10


def test_command_evaluate_prints_auc_and_stores_nothing(capsys):
    shop_history()
    call_command("personalization_scores", "--evaluate")
    out = capsys.readouterr().out
    assert "churn_risk" in out and "AUC" in out and "baseline" in out
    assert not ScoreModel.objects.exists()
