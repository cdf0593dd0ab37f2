from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from personalization_plugin.core.exceptions import NotEnoughData
from personalization_plugin.engine import registry
from personalization_plugin.engine.training import train
from personalization_plugin.models import ModelVersion
from personalization_plugin.tasks import train_model

from .conftest import planted_rows, store_events

pytestmark = pytest.mark.django_db


def test_training_stores_params_counts_and_timing(planted_db):
    mv = train()
    assert mv.is_active and mv.algorithm == "als"
    assert mv.n_users == 24 and mv.n_items == 16
    assert mv.n_interactions > 0 and mv.training_seconds > 0
    assert mv.params["factors"] == 64 and mv.params["event_weights"]["purchase"] == 10.0


def test_holdout_metrics_are_stored_when_there_is_enough_data(db):
    store_events(planted_rows(n_users=20))
    mv = train()
    assert 0.0 <= mv.metrics["ndcg@10"] <= 1.0
    assert mv.metrics["cases"] > 0


def test_algorithm_can_be_chosen(planted_db):
    mv = train(algorithm="item_knn")
    assert mv.algorithm == "item_knn"
    assert registry.get_active_model().algorithm == "item_knn"


def test_sensitive_categories_are_not_learned(planted_db, personalization):
    personalization(SENSITIVE_CATEGORIES=["cat-B"])
    train()
    model = registry.get_active_model()
    assert model.similar("B0") == []
    assert model.popular(n=20) and all(pid.startswith("A") for pid, _ in model.popular(n=20))


def test_nothing_to_learn_raises_and_keeps_the_current_model(planted_db):
    first = train()
    from personalization_plugin.models import Event

    Event.objects.all().delete()
    with pytest.raises(NotEnoughData, match="track views"):
        train()
    assert ModelVersion.objects.get(is_active=True) == first


def test_train_command_reports_the_new_model(planted_db):
    out = StringIO()
    call_command("personalization_train", "--no-progress", stdout=out)
    assert "activated: no model was active" in out.getvalue()
    assert ModelVersion.objects.filter(is_active=True).count() == 1


def test_train_command_without_events_fails_clearly(db):
    with pytest.raises(CommandError, match="No product events"):
        call_command("personalization_train", "--no-progress")


def test_train_model_task_trains_and_activates(planted_db):
    result = train_model.enqueue(algorithm="bpr")
    assert result.return_value["algorithm"] == "bpr"
    assert ModelVersion.objects.get(is_active=True).version == result.return_value["version"]


@pytest.fixture
def events_csv(tmp_path):
    path = tmp_path / "events.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "user", "item", "event", "quantity", "price", "session"])
        rows = sorted(planted_rows(n_users=20), key=lambda r: r["occurred_at"])
        for r in rows:
            writer.writerow(
                [
                    int(r["occurred_at"].timestamp()),
                    r["visitor_id"],
                    r["product_id"],
                    r["type"],
                    1,
                    "",
                    r.get("session_id", ""),
                ]
            )
    return path


def test_evaluate_command_compares_default_and_baselines_as_json(events_csv):
    out = StringIO()
    call_command("personalization_evaluate", "--events", str(events_csv), "--json", stdout=out)
    results = json.loads(out.getvalue())["results"]
    assert {"default", "popularity", "item_knn", "als_defaults", "ease"} <= set(results)


def test_evaluate_command_reports_a_malformed_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,user,item,event\n1,u,p,view\nx,u,p,view\n")
    with pytest.raises(CommandError, match="line 3"):
        call_command("personalization_evaluate", "--events", str(bad))


def test_tune_writes_the_best_settings(events_csv, tmp_path):
    target = tmp_path / "best.json"
    out = StringIO()
    call_command(
        "personalization_evaluate",
        "--events",
        str(events_csv),
        "--tune",
        "--output",
        str(target),
        stdout=out,
    )
    best = json.loads(target.read_text())
    assert set(best["settings"]) == {
        "EVENT_WEIGHTS",
        "HALF_LIFE_DAYS",
        "FACTORS",
        "REGULARIZATION",
        "ALPHA",
        "ITERATIONS",
    }
    assert "PERSONALIZATION = {" in out.getvalue()


def test_holdout_can_be_skipped(db):
    store_events(planted_rows(n_users=20))
    metrics = train(holdout=False).metrics
    assert "ndcg@10" not in metrics and "selection" not in metrics
    assert metrics["gate"]["reason"] == "first_model"
