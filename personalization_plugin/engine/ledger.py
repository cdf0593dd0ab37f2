"""The erasure ledger as artifacts see it: drop every erased subject an artifact still holds.

An artifact is a snapshot of the events read at its training cut. A shopper erased after
that cut may still be in it: training read their events before the erasure deleted
them, or an erasure's rewrite of the file was lost to an overlapping one. So the ledger
(`ErasedShopper`), not the file, is the truth: loading an artifact and rewriting it both
drop every subject the ledger recorded since the artifact's cut, and a lost update can
never bring anyone back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.engine.algorithms.base import sparse_from_arrays, sparse_to_arrays
from personalization_plugin.models import ErasedShopper

PER_USER_ARRAYS = ("core_user_factors",)
# Ledger rows carry other machines' clocks: look this far before the cut too (NTP keeps
# skew to milliseconds; a wide margin only makes loads re-hash for longer after an erasure).
CLOCK_SKEW = timedelta(minutes=2)
# Manifest fields: when the events were read, and when the ledger was last applied.
CUT_FIELD = "data_cut"
APPLIED_FIELD = "ledger_applied_at"


def drop_subjects(arrays: dict[str, np.ndarray], manifest: dict[str, Any], wanted: set[str]) -> int:
    """Remove `wanted` subjects' rows (ids, factors, history) from `arrays` in place and
    update manifest["n_users"]; returns how many rows went."""
    if not wanted or "subject_ids" not in arrays:
        return 0
    drop = np.isin(arrays["subject_ids"], np.asarray(sorted(wanted), dtype=str))
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
    return count


def ledger_since(manifest: dict[str, Any]) -> datetime | None:
    """From when the ledger applies to this artifact (its last application or its cut,
    less the clock margin); None when the manifest records neither (apply it whole)."""
    for name in (APPLIED_FIELD, CUT_FIELD, "trained_at"):
        value = manifest.get(name)
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is not None:
            return parsed - CLOCK_SKEW
    return None


def erased_in(subject_ids: np.ndarray, since: datetime | None) -> set[str]:
    """The subjects among `subject_ids` the ledger recorded at or after `since`.

    One query for the ledger's digests; the artifact's subjects are hashed only when it
    returns any (after an erasure), under every hash key so rotations are honoured."""
    rows = ErasedShopper.objects.all()
    if since is not None:
        rows = rows.filter(erased_at__gte=since)
    ledger = set(rows.values_list("digest", flat=True))
    if not ledger or not len(subject_ids):
        return set()
    by_digest = subject_keys.digest_map(subject_ids.tolist(), "erased", 64)
    return {by_digest[d] for d in ledger & by_digest.keys()}


def apply_ledger(arrays: dict[str, np.ndarray], manifest: dict[str, Any]) -> int:
    """Drop every subject erased since the artifact's cut; returns how many rows went."""
    gone = erased_in(arrays.get("subject_ids", np.array([], dtype=str)), ledger_since(manifest))
    return drop_subjects(arrays, manifest, gone)


def now_iso() -> str:
    return timezone.now().isoformat()
