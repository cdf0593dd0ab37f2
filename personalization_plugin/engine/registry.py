"""Which model is served: the active `ModelVersion`, cached per process.

`get_active_model()` is called on every recommendation, so it costs a dict lookup most
of the time and one indexed query at most every CHECK_SECONDS, which is how every
process (web workers, task workers, other web nodes) picks up a newly activated or
rolled-back version. The row's `path` is the pointer: on a local disk the manifest's
modification time also counts (erasure rewrites in place); in a shared store erasure
moves `path` to new objects, so a node switches when the row changes, without asking
the store. The switch is one assignment: a request sees the old model or the new one.
A missing or corrupt artifact logs one clear error and the previous model keeps serving
(or None when there was none): it never raises. A shared store that does not answer is
retried at the next check.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from personalization_plugin.core.exceptions import ModelNotAvailable
from personalization_plugin.engine import storage
from personalization_plugin.engine.artifacts import (
    MANIFEST_FILE,
    ArtifactError,
    StorageUnavailable,
    delete_artifact,
    load_model,
    quarantine_reason,
)
from personalization_plugin.engine.base import ServingModel
from personalization_plugin.models import ModelVersion

logger = logging.getLogger(__name__)
CHECK_SECONDS = 5.0


@dataclass
class _State:
    model: ServingModel | None = None
    key: tuple[str, str, float] | None = None  # (version, path, manifest mtime) of `model`
    failed_key: tuple[str, str, float] | None = None  # last key that failed: logged once
    unavailable_key: tuple[str, str, float] | None = None  # store down for it: logged once
    checked_at: float = float("-inf")
    db_failing: bool = False


_state = _State()
_lock = threading.Lock()


def _manifest_mtime(path: str) -> float:
    if storage.is_shared(path):
        return 0.0  # shared objects never change; a rewrite moves the row's path
    try:
        return os.stat(Path(path) / MANIFEST_FILE).st_mtime_ns / 1e9
    except OSError:
        return -1.0


def get_active_model() -> ServingModel | None:
    """The active model, or None when none is trained or loadable. Never raises."""
    now = time.monotonic()
    if now - _state.checked_at < CHECK_SECONDS:
        return _state.model
    with _lock:
        if now - _state.checked_at < CHECK_SECONDS:
            return _state.model
        try:
            _refresh()
            _state.db_failing = False
        except Exception as exc:  # a database hiccup must not break the storefront
            if not _state.db_failing:  # once per outage, not every few seconds
                logger.error(
                    "Could not check the active personalization model (%s: %s); keeping the current one.",
                    type(exc).__name__,
                    exc,
                )
            _state.db_failing = True
        _state.checked_at = time.monotonic()
        return _state.model


def _refresh() -> None:
    row = (
        ModelVersion.objects.filter(is_active=True)
        .values_list("version", "path")
        .order_by("-created_at")
        .first()
    )
    if row is None:
        _state.model, _state.key = None, None
        return
    version, path = row
    key = (version, path, _manifest_mtime(path))
    if key == _state.key or key == _state.failed_key:
        return
    try:
        model = load_model(path)
    except StorageUnavailable as exc:
        if key != _state.unavailable_key:
            logger.error("Personalization model %s cannot be fetched yet: %s", version, exc)
        _state.unavailable_key = key
        return
    except ArtifactError as exc:
        _state.failed_key = key
        kept = (
            f"keeping version {_state.model.version}" if _state.model else "serving fallbacks only"
        )
        logger.error("Personalization model %s cannot be loaded: %s (%s)", version, exc, kept)
        return
    if model.version != version:
        _state.failed_key = key
        logger.error(
            "Model artifact at %s holds version %s, not %s; keeping the current model.",
            path,
            model.version,
            version,
        )
        return
    _state.model, _state.key, _state.failed_key = model, key, None
    logger.info("Serving personalization model %s (%s).", version, model.algorithm)
    if storage.is_shared(path):
        # Versions pruned by the training node leave this node's cache too.
        storage.sweep_cache(set(ModelVersion.objects.values_list("version", flat=True)))


def invalidate() -> None:
    """Make the next `get_active_model()` re-check the database (after activate/erase)."""
    _state.checked_at = float("-inf")


def reset() -> None:
    """Forget the cached model entirely (tests)."""
    global _state
    with _lock:
        _state = _State()


def activate(version: ModelVersion | str) -> ModelVersion:
    """Make `version` the one served, after checking its artifact loads.

    Raises ModelNotAvailable (with the reason) when the artifact is missing or corrupt;
    the currently active version then stays active.
    """
    mv = version if isinstance(version, ModelVersion) else ModelVersion.objects.get(version=version)
    load_model(mv.path)  # refuse to activate what could not be served
    with transaction.atomic():
        ModelVersion.objects.select_for_update().filter(is_active=True).exclude(pk=mv.pk).update(
            is_active=False
        )
        ModelVersion.objects.filter(pk=mv.pk).update(is_active=True)
    mv.is_active = True
    invalidate()
    return mv


def rollback() -> ModelVersion:
    """Activate the newest version older than the active one whose artifact still loads.

    Raises ModelNotAvailable when there is no such version.
    """
    current = ModelVersion.objects.filter(is_active=True).order_by("-created_at").first()
    older = ModelVersion.objects.order_by("-created_at", "-pk")
    if current is not None:
        older = older.filter(created_at__lte=current.created_at).exclude(pk=current.pk)
    for mv in older:
        try:
            return activate(mv)
        except ModelNotAvailable as exc:
            logger.warning("Skipping model %s in rollback: %s", mv.version, exc)
    raise ModelNotAvailable(
        "There is no earlier model version with a loadable artifact to roll back to."
    )


def prune(keep: int = 5) -> int:
    """Delete all but the newest `keep` versions (never the active one), and every
    quarantined one, with their artifact directories, so retraining does not fill the
    disk and clears what erasure could not edit. Returns how many went."""
    inactive = list(ModelVersion.objects.filter(is_active=False).order_by("-created_at", "-pk"))
    removed = 0
    for k, mv in enumerate(inactive):
        try:
            # Quarantined versions (unreadable, so erasure could not edit them) go at once.
            if k < keep and not quarantine_reason(mv.path):
                continue
            delete_artifact(mv.path)
        except StorageUnavailable as exc:
            logger.warning("Not pruning model %s now: %s", mv.version, exc)
            continue
        mv.delete()
        removed += 1
    return removed
