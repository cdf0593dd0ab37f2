from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from personalization_plugin.core.exceptions import ModelNotAvailable
from personalization_plugin.engine import registry
from personalization_plugin.engine.artifacts import ARRAYS_FILE
from personalization_plugin.engine.base import ServingModel
from personalization_plugin.engine.training import train
from personalization_plugin.models import ModelVersion

pytestmark = pytest.mark.django_db


def test_no_model_trained_gives_none(db):
    assert registry.get_active_model() is None


def test_training_activates_a_serving_model(planted_db):
    mv = train()
    model = registry.get_active_model()
    assert isinstance(model, ServingModel)
    assert model.version == mv.version
    assert ModelVersion.objects.get(is_active=True) == mv


def test_new_version_is_picked_up_after_activation(planted_db):
    first = train()
    assert registry.get_active_model().version == first.version
    second = train()
    assert registry.get_active_model().version == second.version
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_rollback_activates_the_previous_version(planted_db):
    first = train()
    train()
    rolled = registry.rollback()
    assert rolled == first
    assert registry.get_active_model().version == first.version


def test_rollback_without_an_earlier_version_raises(planted_db):
    train()
    with pytest.raises(ModelNotAvailable):
        registry.rollback()


def test_corrupt_artifact_keeps_serving_the_previous_model(planted_db, caplog):
    first = train()
    assert registry.get_active_model().version == first.version
    second = train()
    Path(second.path, ARRAYS_FILE).write_bytes(b"not a model")
    registry.invalidate()
    with caplog.at_level(logging.ERROR, logger="personalization_plugin.engine.registry"):
        model = registry.get_active_model()
        registry.invalidate()
        registry.get_active_model()
    assert model.version == first.version
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "checksum" in errors[0].getMessage()


def test_missing_artifact_with_no_previous_model_gives_none(planted_db, caplog):
    mv = train()
    registry.reset()
    shutil.rmtree(mv.path)
    with caplog.at_level(logging.ERROR):
        assert registry.get_active_model() is None
    assert "manifest.json" in caplog.text


def test_activate_refuses_a_corrupt_artifact_and_keeps_the_current_one(planted_db):
    first = train()
    second = train()
    registry.activate(first)
    Path(second.path, ARRAYS_FILE).write_bytes(b"junk")
    with pytest.raises(ModelNotAvailable):
        registry.activate(second)
    assert ModelVersion.objects.get(is_active=True) == first


def test_crash_mid_training_keeps_the_current_model(planted_db, monkeypatch):
    first = train()
    from personalization_plugin.engine import training

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(training, "store_artifact", explode)
    with pytest.raises(RuntimeError):
        train()
    assert ModelVersion.objects.get(is_active=True) == first
    registry.invalidate()
    assert registry.get_active_model().version == first.version
    leftovers = [p.name for p in Path(first.path).parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_database_error_is_logged_once_and_never_raised(planted_db, monkeypatch, caplog):
    train()
    model = registry.get_active_model()

    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(registry, "_refresh", broken)
    with caplog.at_level(logging.ERROR, logger="personalization_plugin.engine.registry"):
        for _ in range(3):
            registry.invalidate()
            assert registry.get_active_model() is model
    assert caplog.text.count("database is locked") == 1


def test_old_versions_are_pruned_but_the_active_one_is_kept(planted_db, monkeypatch):
    from personalization_plugin.engine import training

    monkeypatch.setattr(training, "KEEP_VERSIONS", 1)
    first = train()
    second = train()
    third = train()
    assert set(ModelVersion.objects.values_list("version", flat=True)) == {
        second.version,
        third.version,
    }
    assert not Path(first.path).exists()
    registry.activate(second)
    registry.prune(keep=0)
    assert list(ModelVersion.objects.values_list("version", flat=True)) == [second.version]
