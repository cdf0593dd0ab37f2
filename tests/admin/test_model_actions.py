"""Train now, evaluate and roll back from the model page, on a small seeded store."""

from __future__ import annotations

import os
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError
from wagtail.models import ModelLogEntry

from personalization_plugin.models import ModelVersion, TrainingRun

# "Train now" runs in a background thread (the demo's ImmediateBackend), whose own database
# connection sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def train(client) -> TrainingRun:
    """Press "Train now" and wait for the background run to finish."""
    assert client.post("/admin/personalization/models/train/").status_code == 302
    run = TrainingRun.objects.first()
    deadline = time.monotonic() + 300
    while not run.finished:
        assert time.monotonic() < deadline, f"training still {run.status}: {run.step}"
        time.sleep(0.2)
        try:
            run.refresh_from_db()
        except OperationalError as exc:  # in-memory SQLite: the run's thread is writing
            assert "is locked" in str(exc), exc
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    return run


@pytest.fixture
def seeded(settings, tmp_path):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "MODEL_DIR": str(tmp_path / "models")}
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", products=30, shoppers=40, events=1500, seed=3, stdout=quiet)


def test_train_evaluate_and_roll_back(admin_client_, seeded):
    train(admin_client_)
    first = ModelVersion.objects.get(is_active=True)
    page = admin_client_.get("/admin/personalization/models/").content.decode()
    assert f"Trained and activated {first.version}." in page

    train(admin_client_)
    second = ModelVersion.objects.get(is_active=True)
    assert second.pk != first.pk

    response = admin_client_.post("/admin/personalization/models/evaluate/", follow=True)
    assert "Evaluation finished" in response.content.decode()
    second.refresh_from_db()
    assert {"default", "popularity"} <= set(second.metrics["comparison"])
    assert "Offline comparison" in response.content.decode()

    response = admin_client_.post("/admin/personalization/models/rollback/", follow=True)
    assert f"Rolled back: {first.version} is active again." in response.content.decode()
    assert ModelVersion.objects.get(is_active=True).pk == first.pk
    assert ModelLogEntry.objects.filter(action="personalization.model.rollback").exists()


def test_activate_a_chosen_version(admin_client_, seeded):
    train(admin_client_)
    train(admin_client_)
    older = ModelVersion.objects.order_by("created_at").first()
    admin_client_.post("/admin/personalization/models/activate/", {"version": older.pk})
    assert ModelVersion.objects.get(is_active=True).pk == older.pk
