"""Model artifacts: `<version>/model.npz` + `manifest.json` in `STORAGES["personalization"]`.

On a local disk (the default: MODEL_DIR) they are read and written in place; in a shared
object store `engine.storage` uploads them and keeps each node's verified local copy, and
every function here takes either kind of `ModelVersion.path`.

No pickle: every array is a plain numpy array (strings as fixed-width unicode) loaded
with `allow_pickle=False`. The manifest records a SHA-256 of the npz, so a truncated or
tampered file is refused rather than served. Writes go to a temporary directory that is
fsynced and renamed into place, so a reader never sees half an artifact.

An artifact erasure could not edit (unreadable, failed checksum) is quarantined: a
QUARANTINED file with the reason goes next to it and it is never read again, so a
shopper erasure could not reach is never served. Loading applies the erasure ledger
(`engine.ledger`): shoppers erased after the artifact's training cut are dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from personalization_plugin.engine import storage
from personalization_plugin.engine.storage import ArtifactError, StorageUnavailable

__all__ = ["ArtifactError", "StorageUnavailable"]

FORMAT_VERSION = 1
ARRAYS_FILE = storage.LOCAL_ARRAYS
MANIFEST_FILE = storage.LOCAL_MANIFEST
QUARANTINE_FILE = storage.QUARANTINE_OBJECT


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_files(
    target: Path, arrays: dict[str, np.ndarray], manifest: dict[str, Any]
) -> dict[str, Any]:
    npz = target / ARRAYS_FILE
    with npz.open("wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
        fh.flush()
        os.fsync(fh.fileno())
    manifest = {
        **manifest,
        "format": FORMAT_VERSION,
        "sha256": _sha256(npz),
        "arrays": sorted(arrays),
    }
    man = target / MANIFEST_FILE
    with man.open("w") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    return manifest


def write_artifact(
    root: str | Path, version: str, arrays: dict[str, np.ndarray], manifest: dict[str, Any]
) -> Path:
    """Write atomically to `root/version`; returns that path. Raises ArtifactError if it exists."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / version
    if final.exists():
        raise ArtifactError(
            f"Artifact directory {final} already exists; versions are never overwritten."
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root))
    try:
        _write_files(tmp, arrays, {**manifest, "version": version})
        _fsync_dir(tmp)
        os.rename(tmp, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def store_artifact(version: str, arrays: dict[str, np.ndarray], manifest: dict[str, Any]) -> str:
    """Write a new version to `STORAGES["personalization"]`; returns its `ModelVersion.path`
    (the directory on a local disk, `storage:...` in a shared store). Raises ArtifactError
    if the version exists, StorageUnavailable when the shared store does not answer."""
    root = storage.local_root()
    if root is not None:
        return str(write_artifact(root, version, arrays, manifest))
    if storage.version_files(version):
        raise ArtifactError(
            f"Model version {version} already exists in the storage; versions are never overwritten."
        )
    return _upload(version, arrays, {**manifest, "version": version})


def _upload(version: str, arrays: dict[str, np.ndarray], manifest: dict[str, Any]) -> str:
    staged = storage.staging_dir(version)
    try:
        return storage.upload(version, staged, _write_files(staged, arrays, manifest))
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def rewrite_artifact(
    path: str | Path, arrays: dict[str, np.ndarray], manifest: dict[str, Any]
) -> str:
    """Replace an artifact's files (used by erasure); returns the path that now names it.

    On a local disk each file is replaced atomically and the path stays. In a shared store
    new objects are uploaded and the new path returned: the caller moves the
    `ModelVersion` row to it, then deletes the old objects (`storage.delete_superseded`)."""
    if storage.is_shared(path):
        return _upload(storage.version_of(path), arrays, manifest)
    _rewrite_local(Path(path), arrays, manifest)
    return str(path)


def _rewrite_local(path: Path, arrays: dict[str, np.ndarray], manifest: dict[str, Any]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".rewrite-", dir=path))
    try:
        _write_files(tmp, arrays, manifest)
        # The npz first: until the manifest moves, the old checksum refuses the new npz,
        # so a crash in between shows as a clear checksum error, never silent mixing.
        os.replace(tmp / ARRAYS_FILE, path / ARRAYS_FILE)
        os.replace(tmp / MANIFEST_FILE, path / MANIFEST_FILE)
        _fsync_dir(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def quarantine(path: str | Path, reason: str) -> bool:
    """Mark an artifact as never to be read again, recording why; False when the
    directory is gone (nothing left to quarantine)."""
    if storage.is_shared(path):
        return storage.quarantine(path, reason)
    path = Path(path)
    if not path.is_dir():
        return False
    tmp = path / f".{QUARANTINE_FILE}.tmp"
    tmp.write_text(reason + "\n")
    os.replace(tmp, path / QUARANTINE_FILE)
    _fsync_dir(path)
    return True


def quarantine_reason(path: str | Path) -> str | None:
    """Why the artifact was quarantined, or None when it is not."""
    if storage.is_shared(path):
        return storage.quarantine_reason(path)
    try:
        return (Path(path) / QUARANTINE_FILE).read_text().strip() or "no reason recorded"
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"quarantine file unreadable ({exc})"


def artifact_exists(path: str | Path) -> bool:
    """Whether the artifact's files are still there (False once pruned)."""
    if storage.is_shared(path):
        return storage.exists(path)
    return Path(path).is_dir()


def delete_artifact(path: str | Path) -> None:
    """Delete a version's files wherever they are stored."""
    if storage.is_shared(path):
        storage.delete_version(path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _refuse_quarantined(path: str | Path) -> None:
    reason = quarantine_reason(path)
    if reason is not None:
        raise ArtifactError(
            f"Model artifact {path} is quarantined ({reason}); it is never served. "
            "Retrain with `manage.py personalization_train` and delete the directory."
        )


def read_manifest(path: str | Path) -> dict[str, Any]:
    _refuse_quarantined(path)
    if storage.is_shared(path):
        return _read_local_manifest(storage.fetch(path))
    return _read_local_manifest(Path(path))


def _read_local_manifest(path: Path) -> dict[str, Any]:
    man = Path(path) / MANIFEST_FILE
    try:
        manifest = json.loads(man.read_text())
    except FileNotFoundError:
        raise ArtifactError(
            f"Model artifact {path} has no {MANIFEST_FILE}; retrain with `manage.py personalization_train`."
        ) from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(
            f"Model manifest {man} is unreadable ({exc}); retrain or roll back."
        ) from None
    if manifest.get("format") != FORMAT_VERSION:
        raise ArtifactError(
            f"Model artifact {path} has format {manifest.get('format')!r}, this code reads format "
            f"{FORMAT_VERSION}; retrain with `manage.py personalization_train`."
        )
    return manifest


def read_artifact(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and manifest of a verified artifact; raises ArtifactError with the reason
    (StorageUnavailable when a shared store did not answer: worth retrying)."""
    _refuse_quarantined(path)
    if not storage.is_shared(path):
        return _read_local(Path(path))
    try:
        return _read_local(storage.fetch(path))
    except StorageUnavailable:
        raise
    except ArtifactError:
        # This node's copy may have rotted: fetch once more from the shared copy.
        storage.drop_cached(path)
        try:
            return _read_local(storage.fetch(path))
        except ArtifactError as exc:
            storage.drop_cached(path)
            raise type(exc)(f"{exc} (shared artifact {path})") from None


def _read_local(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    manifest = _read_local_manifest(path)
    npz = path / ARRAYS_FILE
    if not npz.exists():
        raise ArtifactError(f"Model artifact {path} has no {ARRAYS_FILE}; retrain or roll back.")
    if _sha256(npz) != manifest.get("sha256"):
        raise ArtifactError(
            f"Model artifact {npz} does not match its manifest checksum (corrupt or modified); retrain or roll back."
        )
    try:
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ArtifactError(
            f"Model artifact {npz} cannot be read ({exc}); retrain or roll back."
        ) from None
    missing = set(manifest.get("arrays", [])) - set(arrays)
    if missing:
        raise ArtifactError(
            f"Model artifact {npz} lacks arrays {sorted(missing)}; retrain or roll back."
        )
    return arrays, manifest


def load_model(path: str | Path):
    """The `ArtifactModel` stored at `path`, without anyone the erasure ledger recorded
    since its training cut; raises ArtifactError when it cannot be served."""
    from personalization_plugin.engine.ledger import apply_ledger
    from personalization_plugin.engine.serving_model import ArtifactModel

    arrays, manifest = read_artifact(path)
    apply_ledger(arrays, manifest)
    try:
        return ArtifactModel(arrays, manifest)
    except (KeyError, ValueError, IndexError) as exc:
        raise ArtifactError(
            f"Model artifact {path} is inconsistent ({type(exc).__name__}: {exc}); retrain or roll back."
        ) from None
