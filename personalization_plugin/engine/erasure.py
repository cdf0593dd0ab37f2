"""Erasure: drop erased subjects' learned factors and history rows from every artifact.

Registered with `privacy.erasure.register_eraser` when the app is ready. Every stored
version is rewritten (not only the active one), so a later rollback cannot bring an
erased shopper's factors back. Processes reload the rewritten artifact because the
registry watches the manifest's modification time.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from personalization_plugin.engine import registry
from personalization_plugin.engine.algorithms.base import sparse_from_arrays, sparse_to_arrays
from personalization_plugin.engine.artifacts import ArtifactError, read_artifact, rewrite_artifact
from personalization_plugin.models import ModelVersion

logger = logging.getLogger(__name__)
PER_USER_ARRAYS = ("core_user_factors",)


def erase_subjects(subjects: set[str]) -> int:
    """Remove `subjects` from every model artifact; returns how many rows were removed."""
    if not subjects:
        return 0
    wanted = np.asarray(sorted(subjects), dtype=str)
    removed = 0
    for path in ModelVersion.objects.values_list("path", flat=True):
        try:
            removed += _erase_from(path, wanted)
        except ArtifactError as exc:
            logger.warning("Erasure skipped an unreadable model artifact: %s", exc)
    if removed:
        registry.invalidate()
    return removed


def _erase_from(path: str, wanted: np.ndarray) -> int:
    arrays, manifest = read_artifact(path)
    drop = np.isin(arrays["subject_ids"], wanted)
    count = int(drop.sum())
    if not count:
        return 0
    keep = ~drop
    arrays["subject_ids"] = arrays["subject_ids"][keep]
    for name in PER_USER_ARRAYS:
        if name in arrays:
            arrays[name] = arrays[name][keep]
    history: sp.csr_matrix = sparse_from_arrays("history", arrays)[keep]
    arrays.update(sparse_to_arrays("history", history))
    manifest["n_users"] = int(arrays["subject_ids"].shape[0])
    rewrite_artifact(path, arrays, manifest)
    return count
