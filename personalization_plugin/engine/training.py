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
from personalization_plugin.engine import gate, ledger, registry
from personalization_plugin.engine.algorithms.factors import WarmStart
from personalization_plugin.engine.artifacts import ArtifactError, read_artifact, store_artifact
from personalization_plugin.engine.builder import BuildParams, build_arrays
from personalization_plugin.engine.catalog import snapshot_catalog
from personalization_plugin.engine.evaluation import Holdout, Split, holdout, time_split
from personalization_plugin.engine.interactions import (
    EventLog,
    Interactions,
    build_interactions,
    load_events,
)
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
    search: bool | None = None,
    force: bool = False,
    **overrides: Any,
) -> ModelVersion:
    """Fit a model on every stored event, store it as a new version and activate it
    unless the quality gate refuses it.

    `algorithm` overrides PERSONALIZATION["ALGORITHM"] (and turns the per-store search
    off: the caller chose). `search` (default MODEL_SEARCH) compares candidate recipes
    on a validation split of the training part and keeps the best (see
    `engine.selection`). `holdout=False` skips the offline metrics on the last 10% of
    time (and with them the search and the gate's comparison). The holdout model's
    ALS/BPR factors seed the final fit, which then runs WARM_START_ITERATIONS; without
    a holdout, the active model's factors do when they fit (same algorithm and factor
    count); `full=True` forces a cold fit. `force=True` activates even when the gate
    would not. `overrides` set any `BuildParams` field. Raises NotEnoughData when there
    is nothing to learn from and ValueError for an unknown algorithm; the active model
    is unchanged in both cases.
    """
    started = time.perf_counter()
    params = BuildParams.from_settings(algorithm, **overrides)
    stages = _Stages(progress)
    stages.next("reading events")
    data_cut = timezone.now()  # erasures from here on are applied when writing and loading
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
    split = _holdout_split(log) if holdout else None
    selection: dict[str, Any] = {}
    if search is None:
        search = bool(plugin_settings.MODEL_SEARCH) and algorithm is None and not overrides
    if search and split is not None:
        stages.next("choosing a model")
        params, selection = _select(split, params, weights, half_life, sensitive)
    stages.next("holdout evaluation")
    evaluated = (
        _holdout_metrics(split, params, weights, half_life, sensitive) if split else Holdout({})
    )
    metrics = dict(evaluated.metrics)
    if selection:
        metrics["selection"] = selection
    stages.next(f"fitting {params.algorithm}")
    warm = None if full else _warm_start(params, data, evaluated)
    arrays, info = build_arrays(data, params, snapshot, progress=progress, warm_start=warm)
    stages.next("writing the artifact")
    version = new_version_name()
    active = ModelVersion.objects.filter(is_active=True).first()
    decision = gate.decide(
        metrics,
        active.metrics if active is not None else None,
        active_version=active.version if active is not None else "",
        tolerance=float(plugin_settings.GATE_TOLERANCE),
        force=force,
    )
    metrics["gate"] = decision.to_dict()
    seconds = time.perf_counter() - started
    manifest = {
        "params": params.to_dict(),
        "event_weights": dict(weights),
        "half_life_days": half_life,
        "metrics": metrics,
        "timings": info["timings"],
        "stages": stages.timings(),
        "ease": info["ease"],
        "warm_start_from": info["warm_start_from"] or "",
        "n_users": data.n_users,
        "n_items": data.n_items,
        "n_interactions": int(data.matrix.nnz),
        "trained_at": timezone.now().isoformat(),
        ledger.CUT_FIELD: data_cut.isoformat(),
    }
    manifest[ledger.APPLIED_FIELD] = ledger.now_iso()
    ledger.apply_ledger(arrays, manifest)  # shoppers erased while training ran
    path = store_artifact(version, arrays, manifest)
    del arrays
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
            "stages": stages.timings(),
        },
        metrics=metrics,
        n_users=manifest["n_users"],
        n_items=data.n_items,
        n_interactions=int(data.matrix.nnz),
        training_seconds=round(seconds, 3),
    )
    if decision.activate:
        registry.activate(mv)
    registry.prune(keep=KEEP_VERSIONS)
    stages.close()
    logger.info(
        "Trained personalization model %s in %.1f s: %s.", version, seconds, decision.describe()
    )
    return mv


def _holdout_split(log: EventLog) -> Split | None:
    """The last 10% of time as the test, when there are enough events for it."""
    if len(log) < MIN_EVENTS_FOR_HOLDOUT:
        return None
    return time_split(log, test_fraction=0.1)


def _select(split: Split, params: BuildParams, weights, half_life, sensitive):
    """The per-store search on the training part; on any failure, the fixed recipe."""
    from personalization_plugin.engine.selection import select

    try:
        chosen = select(
            split.train,
            params,
            weights,
            half_life,
            exclude_items=sensitive,
            budget_seconds=float(plugin_settings.MODEL_SEARCH_SECONDS),
        )
    except Exception:  # the search improves a model; it never blocks one
        logger.exception("Model selection failed; training the fixed recipe.")
        return params, {}
    return chosen.params, chosen.report


def _warm_start(params: BuildParams, data: Interactions, evaluated: Holdout) -> WarmStart | None:
    """Factors that can seed this fit (ALS or BPR only): the holdout model's, fitted
    moments ago on the first 90% of the same events with the same recipe, so the final
    fit is a short refinement rather than a second fit from scratch; else the active
    model's, when it is the same algorithm with the same number of factors. Anything
    else (no such model, an unreadable artifact) means a cold fit."""
    if params.algorithm not in ("als", "bpr"):
        return None
    if evaluated.arrays is not None and "core_item_factors" in evaluated.arrays:
        return WarmStart.align(evaluated.arrays, data.subject_ids, data.item_ids, "holdout")
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


def _holdout_metrics(split: Split, params: BuildParams, weights, half_life, sensitive) -> Holdout:
    """Offline metrics on the last 10% of time (a bounded sample of its cases)."""
    try:
        return holdout(split, params, weights, half_life, exclude_items=sensitive)
    except Exception:  # metrics are informative; they never block a model
        logger.exception("Holdout evaluation failed; the model is trained without metrics.")
        return Holdout({})


class _Stages:
    """Training's stages: their wall times (kept in the manifest) and, when enabled, a
    tqdm bar over them (fitting shows implicit's own bar inside)."""

    NAMES = 6

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=self.NAMES, desc="training", unit="stage")
        self.current = ""
        self.since = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def next(self, name: str) -> None:
        self._lap()
        self.current = name
        if self.bar is not None:
            if len(self.seconds):
                self.bar.update(1)
            self.bar.set_description(name)

    def _lap(self) -> None:
        now = time.perf_counter()
        if self.current:
            self.seconds[self.current] = round(now - self.since, 2)
        self.since = now

    def timings(self) -> dict[str, float]:
        """Seconds per finished stage, plus the one running now up to this call."""
        return {
            **self.seconds,
            **({self.current: round(time.perf_counter() - self.since, 2)} if self.current else {}),
        }

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.close()
