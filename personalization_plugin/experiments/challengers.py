"""Challenger models: a trained, inactive model version served to one experiment arm.

Loaded once per process per version and kept (at most MAX_LOADED of them); an artifact
that cannot be loaded is logged once and the arm falls back to the active model, so a
storefront page never fails because of an experiment.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

logger = logging.getLogger("personalization_plugin.experiments")

MAX_LOADED = 3
_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def challenger_model(version: str) -> Any:
    """The ServingModel of `version`, or None when it does not exist or will not load."""
    if version in _loaded:
        return _loaded[version]
    with _lock:
        if version in _loaded:
            return _loaded[version]
        model = _load(version)
        if len(_loaded) >= MAX_LOADED:
            _loaded.clear()
        _loaded[version] = model
        return model


def _load(version: str) -> Any:
    from personalization_plugin.engine.artifacts import load_model
    from personalization_plugin.models import ModelVersion

    try:
        path = ModelVersion.objects.values_list("path", flat=True).get(version=version)
        return load_model(path)
    except Exception as exc:
        logger.error(
            "Challenger model %s cannot be loaded (%s); its arm is served by the active model.",
            version,
            exc,
        )
        return None


def forget() -> None:
    _loaded.clear()
