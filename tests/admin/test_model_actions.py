"""Train now, evaluate and roll back from the model page, on a small seeded store."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from wagtail.models import ModelLogEntry

from personalization_plugin.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "MODEL_DIR": str(tmp_path / "models")}
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", products=30, shoppers=40, events=1500, seed=3, stdout=quiet)


def test_train_evaluate_and_roll_back(admin_client_, seeded):
    response = admin_client_.post("/admin/personalization/models/train/", follow=True)
    first = ModelVersion.objects.get(is_active=True)
    assert f"Trained and activated {first.version}." in response.content.decode()

    admin_client_.post("/admin/personalization/models/train/")
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
    admin_client_.post("/admin/personalization/models/train/")
    admin_client_.post("/admin/personalization/models/train/")
    older = ModelVersion.objects.order_by("created_at").first()
    admin_client_.post("/admin/personalization/models/activate/", {"version": older.pk})
    assert ModelVersion.objects.get(is_active=True).pk == older.pk
