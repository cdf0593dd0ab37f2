"""Erasure: drop erased subjects' learned factors and history rows from every artifact.

Registered with `core.registry.register_eraser` when the app is ready. Every stored
version is rewritten (not only the active one), so a later rollback cannot bring an
erased shopper's factors back. Processes reload the rewritten artifact because the
registry watches the manifest's modification time (local disk) or the row's `path`,
which the rewrite moves to the new objects in a shared store; the old objects, which
still hold the shopper, are deleted once the row moved (every node then follows it).

Overlapping erasures cannot lose each other's work: each rewrite holds a lock on the
version's `ModelVersion` row (SELECT ... FOR UPDATE on PostgreSQL, which works across
processes and machines; on SQLite a write in the same transaction, which takes the
database's write lock at once like BEGIN IMMEDIATE), and each rewrite applies the whole
erasure ledger since the artifact's cut, not only its own subjects.

An artifact that cannot be read is quarantined (never served again; the active one is
deactivated, so serving falls back) and the erasure raises `ErasureIncomplete`: the
shopper is still in a file on disk until the next training deletes it (`registry.prune`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import F

from personalization_plugin.core.exceptions import ErasureIncomplete
from personalization_plugin.engine import registry, storage
from personalization_plugin.engine.artifacts import (
    ArtifactError,
    StorageUnavailable,
    artifact_exists,
    quarantine,
    quarantine_reason,
    read_artifact,
    rewrite_artifact,
)
from personalization_plugin.engine.ledger import (
    APPLIED_FIELD,
    drop_subjects,
    erased_in,
    ledger_since,
    now_iso,
)
from personalization_plugin.models import ModelVersion

logger = logging.getLogger(__name__)


@contextmanager
def locked_version(pk: int) -> Iterator[ModelVersion | None]:
    """Hold the rewrite lock of one model version for the block; yields its row, or None
    when the version was deleted meanwhile (pruned: nothing left to erase)."""
    with transaction.atomic():
        if connection.vendor == "sqlite":
            # SQLite ignores FOR UPDATE; a write takes the database's write lock now.
            ModelVersion.objects.filter(pk=pk).update(path=F("path"))
        yield ModelVersion.objects.select_for_update().filter(pk=pk).first()


def erase_subjects(subjects: set[str]) -> int:
    """Remove `subjects` (and everyone else the ledger recorded since each artifact's
    cut) from every model artifact; returns how many of `subjects`' rows were removed.

    Raises ErasureIncomplete, after trying every artifact, when one could not be read:
    it is quarantined (and deactivated if it was active), so it is never served."""
    if not subjects:
        return 0
    removed = 0
    failed: list[str] = []
    changed = False
    for pk in ModelVersion.objects.order_by("pk").values_list("pk", flat=True):
        with locked_version(pk) as mv:
            if mv is None:
                continue
            try:
                count, rewritten = _erase_version(mv, subjects)
            except StorageUnavailable as exc:  # not the artifact's fault: nothing to quarantine
                raise ErasureIncomplete(
                    f"The model storage did not answer while erasing ({exc}); the shopper's "
                    "factors may still be in a stored model. Run the erasure again."
                ) from None
            except ArtifactError as exc:
                failed.append(mv.version)
                changed |= _quarantine(mv, str(exc))
                continue
        removed += count
        changed |= rewritten
    if changed:
        registry.invalidate()
    if failed:
        raise ErasureIncomplete(
            f"Model version(s) {', '.join(failed)} could not be read, so the shopper's "
            "factors could not be removed from them; they are quarantined and never served. "
            "Retrain (`manage.py personalization_train`, which deletes quarantined versions) "
            "and run the erasure again."
        )
    return removed


def _erase_version(mv: ModelVersion, subjects: set[str]) -> tuple[int, bool]:
    """(rows of `subjects` removed, whether the artifact was rewritten); under the lock.

    In a shared store the row moves to the rewritten objects, and the objects it no
    longer names (which still hold the shoppers) are deleted while the lock is held, so
    no other erasure moves the row meanwhile; this also clears what a crash after an
    earlier rewrite left behind."""
    count, new_path = _erase_from(mv.path, subjects)
    current = new_path or mv.path
    if current != mv.path:
        ModelVersion.objects.filter(pk=mv.pk).update(path=current)
    if storage.is_shared(current) and artifact_exists(current):
        storage.delete_superseded(current)
    return count, new_path is not None


def _erase_from(path: str, subjects: set[str]) -> tuple[int, str | None]:
    """(rows of `subjects` removed, the artifact's path if it was rewritten, else None);
    call under the lock."""
    if not artifact_exists(path) and quarantine_reason(path) is None:
        return 0, None  # pruned between the query and the lock: no file holds anyone
    arrays, manifest = read_artifact(path)
    applied_at = now_iso()  # before reading the ledger: later rows are applied on load
    mine = drop_subjects(arrays, manifest, subjects)
    others = drop_subjects(
        arrays, manifest, erased_in(arrays["subject_ids"], ledger_since(manifest))
    )
    if not mine and not others:
        return 0, None
    manifest[APPLIED_FIELD] = applied_at
    return mine, rewrite_artifact(path, arrays, manifest)


def _quarantine(mv: ModelVersion, reason: str) -> bool:
    """Quarantine (once) and deactivate an unreadable version; True if it was active."""
    if quarantine_reason(mv.path) is None:
        logger.error("Quarantined model %s, which erasure could not read: %s", mv.version, reason)
        quarantine(mv.path, f"erasure could not read it: {reason}")
    if mv.is_active:
        ModelVersion.objects.filter(pk=mv.pk).update(is_active=False)
        return True
    return False
