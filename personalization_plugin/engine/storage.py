"""Where model artifacts live: Django's `STORAGES["personalization"]`, with a local read
cache on every node when that storage is not this machine's disk.

Without a `"personalization"` entry in `STORAGES` the storage is a `FileSystemStorage`
at `MODEL_DIR`, and artifacts are read and written in place (`artifacts.py`), as on one
machine. A storage without local paths (S3 through django-storages, say) is shared by
several nodes: `ModelVersion.path` is then `storage:<version>/manifest-<hash>.json`, and
every object is immutable and named by a hash of its content:

    <version>/model-<sha256 of the npz, 16 hex>.npz
    <version>/manifest-<sha256 of the manifest, 16 hex>.json   (names the npz)
    <version>/QUARANTINED                                      (erasure could not read it)

An erasure uploads a new npz and manifest and moves the database row's `path`, so the row
is the one pointer every node follows (no object is overwritten, so no node can read a new
npz with an old manifest); the old objects are deleted once the row moved. Each node
downloads an artifact once into `MODEL_CACHE_DIR/<version>/manifest-<hash>/` (checked by
the manifest's name, the npz's size, and the checksum `read_artifact` verifies) and reads
it from there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import ModelNotAvailable

ALIAS = "personalization"
PREFIX = "storage:"
LOCAL_ARRAYS = "model.npz"
LOCAL_MANIFEST = "manifest.json"
QUARANTINE_OBJECT = "QUARANTINED"
HASH_CHARS = 16
T = TypeVar("T")


class ArtifactError(ModelNotAvailable):
    """An artifact is missing, corrupt, or from an incompatible format version."""


class StorageUnavailable(ArtifactError):
    """The shared storage did not answer (network, credentials): try again later; the
    artifact itself may be fine."""


def artifact_storage() -> Storage:
    """`STORAGES["personalization"]`, else a FileSystemStorage at MODEL_DIR."""
    if ALIAS in settings.STORAGES:
        return storages[ALIAS]
    return FileSystemStorage(location=plugin_settings.model_dir)


def local_root() -> Path | None:
    """The storage's directory when it is a FileSystemStorage (artifacts are written with
    fsync and renames and read in place there), None for any other storage, which is
    treated as a shared store (other backends' `path()`, InMemoryStorage's for one,
    need not name real files)."""
    backend = artifact_storage()
    if isinstance(backend, FileSystemStorage):
        return Path(backend.path(""))
    return None


def is_shared(path: str | Path) -> bool:
    return str(path).startswith(PREFIX)


def cache_root() -> Path:
    return Path(plugin_settings.model_cache_dir)


def _parse(path: str | Path) -> tuple[str, str]:
    """(version, manifest object name) of a shared path."""
    version, _, manifest = str(path).removeprefix(PREFIX).partition("/")
    if not version or not manifest.startswith("manifest-"):
        raise ArtifactError(f"{path!r} is not a shared model artifact path.")
    return version, manifest


def version_of(path: str | Path) -> str:
    return _parse(path)[0]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _call(what: str, fn: Callable[[], T]) -> T:
    """Run one storage call; a missing object is an ArtifactError, anything else the
    backend raises (botocore's errors, socket errors) is StorageUnavailable."""
    try:
        return fn()
    except ArtifactError:
        raise
    except FileNotFoundError:
        raise ArtifactError(
            f"{what}: the object is missing from STORAGES[{ALIAS!r}]; retrain or roll back."
        ) from None
    except Exception as exc:
        raise StorageUnavailable(
            f"{what}: STORAGES[{ALIAS!r}] did not answer ({type(exc).__name__}: {exc}); "
            "check the storage's settings and network. Will retry."
        ) from None


def _read_bytes(name: str) -> bytes:
    def read() -> bytes:
        with artifact_storage().open(name, "rb") as fh:
            return fh.read()

    return _call(f"Reading {name}", read)


def _save(name: str, content: File) -> None:
    storage = artifact_storage()
    if _call(f"Checking {name}", lambda: storage.exists(name)):
        return  # names are content hashes: the same name holds the same bytes
    saved = _call(f"Uploading {name}", lambda: storage.save(name, content))
    if saved != name:
        raise ArtifactError(
            f"STORAGES[{ALIAS!r}] stored {name} as {saved}; configure it to keep names "
            "(django-storages: file_overwrite=True, the default)."
        )


def version_files(version: str) -> list[str]:
    """The object names stored under `version/` (empty when there are none)."""
    storage = artifact_storage()
    try:
        return [f"{version}/{f}" for f in storage.listdir(version)[1]]
    except FileNotFoundError:
        return []
    except Exception as exc:
        raise StorageUnavailable(
            f"Listing {version}/: STORAGES[{ALIAS!r}] did not answer "
            f"({type(exc).__name__}: {exc}); check the storage's settings and network."
        ) from None


def upload(version: str, staged: Path, manifest: dict[str, Any]) -> str:
    """Upload the npz in `staged` (a local directory) with `manifest`, the manifest last so
    a reader never finds a manifest without its npz; `staged` becomes the local cached
    copy. Returns the `ModelVersion.path` naming the upload."""
    npz = staged / LOCAL_ARRAYS
    arrays_name = f"model-{manifest['sha256'][:HASH_CHARS]}.npz"
    manifest = {**manifest, "arrays_file": arrays_name, "arrays_size": npz.stat().st_size}
    body = json.dumps(manifest, indent=1, sort_keys=True, default=str).encode()
    manifest_name = f"manifest-{_digest(body)[:HASH_CHARS]}.json"
    with npz.open("rb") as fh:
        _save(f"{version}/{arrays_name}", File(fh, name=arrays_name))
    _save(f"{version}/{manifest_name}", ContentFile(body, name=manifest_name))
    (staged / LOCAL_MANIFEST).write_bytes(body)
    path = f"{PREFIX}{version}/{manifest_name}"
    _install(staged, _cache_dir(path))
    return path


def staging_dir(version: str) -> Path:
    """A fresh temporary directory next to the cache, so a staged upload moves into the
    cache with a rename."""
    root = cache_root() / version
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".stage-", dir=root))


def _cache_dir(path: str | Path) -> Path:
    version, manifest = _parse(path)
    return cache_root() / version / manifest.removesuffix(".json")


def _install(tmp: Path, target: Path) -> None:
    """Move a complete copy into the cache (another process may have won the race: then
    its copy, identical by construction, stays) and drop the version's older copies."""
    try:
        os.rename(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not target.is_dir():
            raise
    for sibling in target.parent.iterdir():
        if sibling != target and not sibling.name.startswith("."):
            shutil.rmtree(sibling, ignore_errors=True)


def _cached(target: Path, manifest_name: str) -> bool:
    """Whether `target` holds a complete copy: the manifest's bytes hash to its name and
    the npz has the size the manifest records (`read_artifact` checks the npz's hash)."""
    try:
        body = (target / LOCAL_MANIFEST).read_bytes()
        if not manifest_name.startswith(f"manifest-{_digest(body)[:HASH_CHARS]}"):
            return False
        size = json.loads(body).get("arrays_size")
        return (target / LOCAL_ARRAYS).stat().st_size == size
    except (OSError, ValueError):
        return False


def fetch(path: str | Path) -> Path:
    """A local directory holding the shared artifact `path` as `manifest.json` and
    `model.npz`, downloaded unless the cache already has it. Raises ArtifactError for a
    missing or corrupt object, StorageUnavailable when the storage does not answer."""
    version, manifest_name = _parse(path)
    target = _cache_dir(path)
    if _cached(target, manifest_name):
        return target
    shutil.rmtree(target, ignore_errors=True)  # incomplete or damaged: replaced below
    body = _read_bytes(f"{version}/{manifest_name}")
    if not manifest_name.startswith(f"manifest-{_digest(body)[:HASH_CHARS]}"):
        raise ArtifactError(
            f"Model manifest {version}/{manifest_name} in STORAGES[{ALIAS!r}] does not match "
            "its name (corrupt or modified); retrain or roll back."
        )
    try:
        arrays_name = str(json.loads(body)["arrays_file"])
    except (ValueError, KeyError) as exc:
        raise ArtifactError(
            f"Model manifest {version}/{manifest_name} is unreadable ({exc}); retrain or roll back."
        ) from None
    tmp = staging_dir(version)
    try:
        _download(f"{version}/{arrays_name}", tmp / LOCAL_ARRAYS)
        (tmp / LOCAL_MANIFEST).write_bytes(body)
        _install(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _download(name: str, dest: Path) -> None:
    def copy() -> None:
        with artifact_storage().open(name, "rb") as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)

    _call(f"Downloading {name}", copy)


def drop_cached(path: str | Path) -> None:
    """Forget this node's copy of `path` (it failed its checksum): the next read refetches."""
    shutil.rmtree(_cache_dir(path), ignore_errors=True)


SWEEP_AFTER_SECONDS = 3600.0


def sweep_cache(keep: set[str]) -> None:
    """Delete cached copies of versions not in `keep` (pruned elsewhere). A version
    touched in the last hour stays: it may be an upload whose row is not written yet."""
    root = cache_root()
    if not root.is_dir():
        return
    cutoff = time.time() - SWEEP_AFTER_SECONDS
    for entry in root.iterdir():
        try:
            recent = entry.stat().st_mtime > cutoff
        except OSError:
            continue
        if entry.is_dir() and entry.name not in keep and not recent:
            shutil.rmtree(entry, ignore_errors=True)


def exists(path: str | Path) -> bool:
    version, manifest = _parse(path)
    storage = artifact_storage()
    return _call(f"Checking {version}", lambda: storage.exists(f"{version}/{manifest}"))


def quarantine(path: str | Path, reason: str) -> bool:
    version, _ = _parse(path)
    if not version_files(version):
        return False
    name = f"{version}/{QUARANTINE_OBJECT}"
    storage = artifact_storage()
    _call(f"Quarantining {version}", lambda: storage.save(name, ContentFile(reason.encode())))
    return True


def quarantine_reason(path: str | Path) -> str | None:
    version, _ = _parse(path)
    try:
        text = _read_bytes(f"{version}/{QUARANTINE_OBJECT}").decode(errors="replace")
    except StorageUnavailable:
        raise
    except ArtifactError:
        return None
    return text.strip() or "no reason recorded"


def delete_version(path: str | Path) -> None:
    """Delete every object of the version `path` names."""
    version, _ = _parse(path)
    storage = artifact_storage()
    for name in version_files(version):
        _call(f"Deleting {name}", lambda name=name: storage.delete(name))  # type: ignore[misc]


def delete_superseded(path: str | Path) -> int:
    """Delete the version's objects that its current manifest (`path`) does not use: the
    files an erasure replaced, which still hold the erased shoppers. Returns how many."""
    version, manifest_name = _parse(path)
    body = _read_bytes(f"{version}/{manifest_name}")
    keep = {manifest_name, str(json.loads(body).get("arrays_file")), QUARANTINE_OBJECT}
    storage = artifact_storage()
    stale = [n for n in version_files(version) if n.partition("/")[2] not in keep]
    for name in stale:
        _call(f"Deleting {name}", lambda name=name: storage.delete(name))  # type: ignore[misc]
    return len(stale)
