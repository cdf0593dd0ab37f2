"""'Train now' hands training to the background and the model page shows its progress and
result; the admin request never waits for the model."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.core.management import call_command

from personalization_plugin.admin.training import execute
from personalization_plugin.models import ModelVersion, TrainingRun

# The run executes in a background thread with its own database connection.
pytestmark = pytest.mark.django_db(transaction=True)
TRAIN = "/admin/personalization/models/train/"


@pytest.fixture
def seeded(settings, tmp_path):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "MODEL_DIR": str(tmp_path / "models")}
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", products=30, shoppers=40, events=1500, seed=3, stdout=quiet)


def finished(run: TrainingRun) -> TrainingRun:
    deadline = time.monotonic() + 300
    while not run.finished:
        assert time.monotonic() < deadline, f"training still {run.status}: {run.step}"
        time.sleep(0.2)
        run.refresh_from_db()
    return run


def test_train_now_leaves_the_training_to_another_thread(admin_client_, seeded):
    response = admin_client_.post(TRAIN)
    assert response.status_code == 302
    run = finished(TrainingRun.objects.get())
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    assert run.result["ran_in"] == f"personalization-training-{run.pk}"
    assert run.result["ran_in"] != threading.current_thread().name
    assert ModelVersion.objects.get(is_active=True).version == run.result["version"]


def test_the_model_page_polls_while_training_and_shows_the_result(admin_client_, seeded):
    response = admin_client_.post(TRAIN, follow=True)
    assert "Training started in the background" in response.content.decode()
    run = TrainingRun.objects.get()
    progress = f"/admin/personalization/models/training/{run.pk}/"
    finished(run)
    page = admin_client_.get("/admin/personalization/models/").content.decode()
    assert f"Trained and activated {run.result['version']}." in page
    partial = admin_client_.get(progress).content.decode()
    assert 'hx-trigger="every 2s"' not in partial and "Trained and activated" in partial


def test_a_run_in_progress_is_polled(admin_client_, db):
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, step="Training")
    partial = admin_client_.get(f"/admin/personalization/models/training/{run.pk}/")
    html = partial.content.decode()
    assert 'hx-trigger="every 2s"' in html and "Running: Training" in html
    assert "no-store" in partial["Cache-Control"]


def test_pressing_again_while_training_starts_no_second_run(admin_client_, db):
    TrainingRun.objects.create(status=TrainingRun.Status.RUNNING)
    response = admin_client_.post(TRAIN, follow=True)
    assert "Training is already under way" in response.content.decode()
    assert TrainingRun.objects.count() == 1


def test_a_failed_training_shows_why(admin_client_, settings, tmp_path):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "MODEL_DIR": str(tmp_path / "models")}
    admin_client_.post(TRAIN)
    run = finished(TrainingRun.objects.get())
    assert run.status == TrainingRun.Status.FAILED and run.error
    page = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "Training failed:" in page


def test_with_a_worker_backend_the_run_waits_for_the_worker(admin_client_, seeded, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    admin_client_.post(TRAIN)
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.QUEUED
    execute(run.pk)  # what the worker runs for train_in_background
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
