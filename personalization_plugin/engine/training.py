"""Training: stored events -> fitted model -> artifact -> active `ModelVersion`.

A crash anywhere before the final activation leaves the current model serving: the
artifact is written to a temporary directory and renamed into place, and the
`ModelVersion` row is only created and activated once the artifact is complete.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from django.utils import timezone

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import NotEnoughData
from personalization_plugin.engine import registry
from personalization_plugin.engine.algorithms.factors import WarmStart
from personalization_plugin.engine.artifacts import ArtifactError, read_artifact, write_artifact
from personalization_plugin.engine.builder import BuildParams, build_arrays
from personalization_plugin.engine.catalog import snapshot_catalog
from personalization_plugin.engine.interactions import Interactions, build_interactions, load_events
from personalization_plugin.models import ModelVersion

logger = logging.getLogger(__name__)
MIN_EVENTS_FOR_HOLDOUT = 200
# Versions kept for rollback (plus the active one); older artifacts are deleted.
KEEP_VERSIONS = 5


def new_version_name() -> str:
    return f"{timezone.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def train(
    algorithm: str | None = None,
    progress: bool = False,
    holdout: bool = True,
    full: bool = False,
    **overrides: Any,
) -> ModelVersion:
    """Fit a model on every stored event, store it as a new version and activate it.

    `algorithm` overrides PERSONALIZATION["ALGORITHM"]; `holdout=False` skips the
    offline metrics (which fit a second model on 90% of the events, about doubling the
    time). When the active model is ALS/BPR with the same algorithm and factor count,
    the new core starts from its factors and runs WARM_START_ITERATIONS (incremental
    training); `full=True` forces a cold fit. `overrides` set any
    `BuildParams` field. Raises NotEnoughData when there is nothing to learn from and
    ValueError for an unknown algorithm; the active model is unchanged in both cases.
    """
    started = time.perf_counter()
    params = BuildParams.from_settings(algorithm, **overrides)
    stages = _Stages(progress)
    stages.next("reading events")
    log = load_events()
    stages.next("reading the catalog")
    snapshot = snapshot_catalog()
    sensitive = snapshot.sensitive_products(plugin_settings.SENSITIVE_CATEGORIES)
    weights = plugin_settings.EVENT_WEIGHTS
    half_life = plugin_settings.HALF_LIFE_DAYS
    data = build_interactions(
        log,
        weights,
        half_life,
        exclude_items=sensitive,
        extra_items=[p for p, ok in snapshot.available.items() if ok],
    )
    if data.matrix.nnz == 0:
        raise NotEnoughData(
            "No product events to learn from yet: track views, cart adds and purchases "
            "(or import past orders) and train again."
        )
    stages.next("holdout evaluation")
    metrics = _holdout_metrics(log, params, weights, half_life, sensitive) if holdout else {}
    stages.next(f"fitting {params.algorithm}")
    warm = None if full else _warm_start(params, data)
    arrays, info = build_arrays(data, params, snapshot, progress=progress, warm_start=warm)
    stages.next("writing the artifact")
    seconds = time.perf_counter() - started
    version = new_version_name()
    manifest = {
        "params": params.to_dict(),
        "event_weights": dict(weights),
        "half_life_days": half_life,
        "metrics": metrics,
        "timings": info["timings"],
        "warm_start_from": info["warm_start_from"] or "",
        "n_users": data.n_users,
        "n_items": data.n_items,
        "n_interactions": int(data.matrix.nnz),
        "trained_at": timezone.now().isoformat(),
    }
    path = write_artifact(plugin_settings.model_dir, version, arrays, manifest)
    mv = ModelVersion.objects.create(
        version=version,
        algorithm=params.algorithm,
        path=str(path),
        params={
            **params.to_dict(),
            "event_weights": dict(weights),
            "half_life_days": half_life,
            "ease": info["ease"],
            "warm_start": warm is not None,
            "warm_start_from": info["warm_start_from"] or "",
            "core_iterations": info["core_iterations"],
        },
        metrics=metrics,
        n_users=data.n_users,
        n_items=data.n_items,
        n_interactions=int(data.matrix.nnz),
        training_seconds=round(seconds, 3),
    )
    registry.activate(mv)
    registry.prune(keep=KEEP_VERSIONS)
    stages.close()
    logger.info(
        "Trained personalization model %s in %.1f s (%s).",
        version,
        seconds,
        ", ".join(f"{k} {v:.3g}" for k, v in metrics.items() if isinstance(v, float))
        or "no holdout",
    )
    return mv


def _warm_start(params: BuildParams, data: Interactions) -> WarmStart | None:
    """The active model's factors mapped onto `data`, when they can seed this fit: same
    algorithm (ALS or BPR) and the same number of factors. Anything else (no active
    model, another algorithm, an unreadable artifact) means a cold fit."""
    if params.algorithm not in ("als", "bpr"):
        return None
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is None or active.algorithm != params.algorithm:
        return None
    if active.params.get("factors") != params.factors:
        return None
    try:
        old, _ = read_artifact(active.path)
    except ArtifactError as exc:
        logger.warning("Not warm starting from %s: %s Fitting from scratch.", active.version, exc)
        return None
    if "core_item_factors" not in old or "core_user_factors" not in old:
        return None
    return WarmStart.align(old, data.subject_ids, data.item_ids, from_version=active.version)


def _holdout_metrics(log, params: BuildParams, weights, half_life, sensitive) -> dict[str, Any]:
    """Offline metrics on the last 10% of time, when there is enough data for it."""
    if len(log) < MIN_EVENTS_FOR_HOLDOUT:
        return {}
    from personalization_plugin.engine.evaluation import evaluate_shipped, time_split

    try:
        split = time_split(log, test_fraction=0.1)
        if split is None:
            return {}
        return evaluate_shipped(split, params, weights, half_life, exclude_items=sensitive)
    except Exception:  # metrics are informative; they never block a model
        logger.exception("Holdout evaluation failed; the model is trained without metrics.")
        return {}


class _Stages:
    """A tqdm bar over training's stages (fitting shows implicit's own bar inside)."""

    NAMES = 5

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=self.NAMES, desc="training", unit="stage")
        self.started = False

    def next(self, name: str) -> None:
        if self.bar is None:
            return
        if self.started:
            self.bar.update(1)
        self.started = True
        self.bar.set_description(name)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.close()
