"""A missing, corrupt or mismatched model artifact, and training that crashes half-way,
seen end to end through `serving.recommend` and the widget partials on the demo store:
the previous model (or the fallbacks) keeps serving, one clear error is logged, no 500."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from personalization_plugin.engine import registry, training
from personalization_plugin.engine.artifacts import ARRAYS_FILE, MANIFEST_FILE
from personalization_plugin.models import ModelVersion
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import Visitor

SHOPPER = Visitor(visitor_id="model-fault-shopper")


@pytest.fixture
def trained(catalog: list[Any], shopper_history: Any) -> ModelVersion:
    for n in range(12):
        start = n % 6
        shopper_history(f"trainer-{n}", catalog[start : start + 5])
    shopper_history(SHOPPER.visitor_id, catalog[:3])
    get_backend().flush()
    return training.train()


def served_version() -> str:
    registry.invalidate()
    return recommend("for_you", visitor=SHOPPER, limit=4).model_version


def partial_ok() -> bool:
    response = Client().get("/widgets/p/for_you/?limit=4", HTTP_HX_REQUEST="true")
    return response.status_code == 200


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_serving_uses_the_trained_model(trained: ModelVersion) -> None:
    assert served_version() == trained.version


def test_corrupt_new_artifact_keeps_the_previous_model_serving(
    trained: ModelVersion, caplog: pytest.LogCaptureFixture
) -> None:
    assert served_version() == trained.version
    second = training.train()
    Path(second.path, ARRAYS_FILE).write_bytes(b"\x00garbage")
    with caplog.at_level(logging.ERROR):
        assert served_version() == trained.version
        assert served_version() == trained.version
        assert partial_ok()
    assert len(errors(caplog)) == 1, errors(caplog)
    assert second.version in errors(caplog)[0]


def test_missing_artifact_without_a_previous_model_serves_fallbacks(
    trained: ModelVersion, caplog: pytest.LogCaptureFixture
) -> None:
    registry.reset()
    shutil.rmtree(trained.path)
    with caplog.at_level(logging.ERROR):
        result = recommend("for_you", visitor=SHOPPER, limit=4)
        assert partial_ok()
    assert result.model_version == ""
    assert result.items, "fallback recommendations instead of a model's"
    assert len(errors(caplog)) == 1 and MANIFEST_FILE in errors(caplog)[0]


def test_artifact_of_another_version_is_refused(
    trained: ModelVersion, caplog: pytest.LogCaptureFixture
) -> None:
    assert served_version() == trained.version
    second = training.train()
    manifest = Path(second.path, MANIFEST_FILE)
    data = json.loads(manifest.read_text())
    data["version"] = "someone-elses-version"
    manifest.write_text(json.dumps(data))
    with caplog.at_level(logging.ERROR):
        assert served_version() == trained.version
        assert partial_ok()
    assert len(errors(caplog)) == 1, errors(caplog)


def test_training_that_crashes_half_way_leaves_the_current_model_serving(
    trained: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("killed half-way through writing the artifact")

    monkeypatch.setattr(training, "store_artifact", crash)
    with pytest.raises(MemoryError):
        training.train()
    assert ModelVersion.objects.get(is_active=True) == trained
    assert served_version() == trained.version
    assert partial_ok()
