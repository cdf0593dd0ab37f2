"""Artifacts in a shared `STORAGES["personalization"]` without local paths (Django's
InMemoryStorage here; tests/engine/test_shared_artifacts_s3.py runs the same behaviour
against a real S3-protocol server and separate processes)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from personalization_plugin.engine import registry, storage
from personalization_plugin.engine.artifacts import read_artifact
from personalization_plugin.engine.erasure import erase_subjects
from personalization_plugin.engine.training import train
from personalization_plugin.models import ModelVersion

from .shared_nodes import Nodes

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(settings, tmp_path, personalization) -> Nodes:
    settings.STORAGES = {
        **settings.STORAGES,
        "personalization": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return Nodes(tmp_path, personalization)


def objects(version: str) -> list[str]:
    return sorted(storage.version_files(version))


def test_training_writes_content_named_objects_to_the_shared_storage(planted_db, shared, settings):
    mv = train()
    assert mv.path.startswith("storage:")
    names = [n.partition("/")[2] for n in objects(mv.version)]
    assert len(names) == 2
    assert names[0].startswith("manifest-") and names[1].startswith("model-")
    assert mv.path == f"storage:{mv.version}/{names[0]}"
    assert not (Path(settings.PERSONALIZATION["MODEL_DIR"]) / mv.version).exists()


def test_without_a_personalization_storage_artifacts_stay_in_model_dir(planted_db, settings):
    assert "personalization" not in settings.STORAGES
    mv = train()
    assert Path(mv.path) == Path(settings.PERSONALIZATION["MODEL_DIR"]).resolve() / mv.version
    assert (Path(mv.path) / "model.npz").is_file()


def test_a_filesystem_storage_elsewhere_is_used_in_place(planted_db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "personalization": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "elsewhere")},
        },
    }
    mv = train()
    assert Path(mv.path) == (tmp_path / "elsewhere").resolve() / mv.version
    assert registry.get_active_model().version == mv.version


def test_a_second_node_serves_the_version_trained_on_the_first(planted_db, shared):
    shared.on("a")
    mv = train()
    assert shared.serving() == mv.version
    assert shared.on("b").serving() == mv.version
    cached = shared.cache("b") / mv.version
    assert [p.name for p in cached.iterdir()] == [mv.path.rpartition("/")[2][: -len(".json")]]


def test_a_new_version_replaces_the_served_one_on_every_node(planted_db, shared):
    shared.on("a")
    train()
    assert shared.on("b").serving() is not None
    shared.on("a")
    second = train()
    assert shared.on("b").serving() == second.version
    assert shared.on("a").serving() == second.version


def test_rollback_on_one_node_is_served_by_the_other(planted_db, shared):
    shared.on("a")
    first = train()
    second = train()
    assert shared.on("b").serving() == second.version
    shared.on("a")
    assert registry.rollback() == first
    assert shared.on("b").serving() == first.version


def test_erasure_on_one_node_reaches_the_artifact_every_node_serves(planted_db, shared):
    shared.on("a")
    mv = train()
    assert registry.get_active_model().knows_subject("v:a0")
    before = objects(mv.version)
    shared.on("b")
    assert shared.serving() == mv.version
    assert erase_subjects({"v:a0"}) == 1
    moved = ModelVersion.objects.get(pk=mv.pk).path
    assert moved != mv.path
    # The old objects, which still held the shopper, are gone from the shared store.
    after = objects(mv.version)
    assert len(after) == 2 and not set(after) & set(before)
    shared.on("a")
    assert shared.serving() == mv.version
    assert not registry.get_active_model().knows_subject("v:a0")
    assert registry.get_active_model().knows_subject("v:a1")
    arrays, _ = read_artifact(moved)
    assert "v:a0" not in arrays["subject_ids"].tolist()
    # Node a's older copy (with the shopper) was replaced by the new one, not kept beside it.
    kept = [p.name for p in (shared.cache("a") / mv.version).iterdir()]
    assert kept == [moved.rpartition("/")[2].removesuffix(".json")]


def test_erasure_rewrites_older_shared_versions_too(planted_db, shared):
    shared.on("a")
    first = train()
    train()
    erase_subjects({"v:b2"})
    arrays, _ = read_artifact(ModelVersion.objects.get(pk=first.pk).path)
    assert "v:b2" not in arrays["subject_ids"].tolist()


def corrupt(name: str, data: bytes = b"\x00garbage") -> None:
    store = storages["personalization"]
    store.delete(name)
    store.save(name, ContentFile(data))


def test_a_corrupt_object_keeps_the_last_good_model_serving(planted_db, shared, caplog):
    shared.on("a")
    first = train()
    assert shared.on("b").serving() == first.version
    shared.on("a")
    second = train()
    npz = next(n for n in objects(second.version) if "/model-" in n)
    corrupt(npz)
    with caplog.at_level(logging.ERROR, logger="personalization_plugin.engine.registry"):
        assert shared.on("b").serving() == first.version
    assert "does not match its manifest checksum" in caplog.text
    assert second.version in caplog.text
    assert list((shared.cache("b") / second.version).iterdir()) == []  # nothing bad kept


def test_a_missing_object_keeps_the_last_good_model_serving(planted_db, shared, caplog):
    shared.on("a")
    first = train()
    assert shared.on("b").serving() == first.version
    shared.on("a")
    second = train()
    for name in objects(second.version):
        storages["personalization"].delete(name)
    with caplog.at_level(logging.ERROR, logger="personalization_plugin.engine.registry"):
        assert shared.on("b").serving() == first.version
    assert "missing from STORAGES['personalization']" in caplog.text


def test_a_damaged_local_copy_is_fetched_again(planted_db, shared):
    shared.on("a")
    mv = train()
    npz = storage.fetch(mv.path) / "model.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, wrong bytes: only the checksum sees it
    npz.write_bytes(bytes(data))
    arrays, _ = read_artifact(mv.path)
    assert arrays["subject_ids"].size > 0
    assert npz.read_bytes() != bytes(data)


def test_a_truncated_local_copy_is_fetched_again_before_reading(planted_db, shared):
    shared.on("a")
    mv = train()
    npz = storage.fetch(mv.path) / "model.npz"
    size = npz.stat().st_size
    npz.write_bytes(npz.read_bytes()[: size // 2])
    assert (storage.fetch(mv.path) / "model.npz").stat().st_size == size


def test_pruning_deletes_old_versions_objects(planted_db, shared):
    shared.on("a")
    first = train()
    for _ in range(2):
        train()
    assert registry.prune(keep=1) == 1
    assert objects(first.version) == []
    assert not ModelVersion.objects.filter(pk=first.pk).exists()


def test_many_readers_fetching_one_version_at_once_all_get_a_whole_copy(planted_db, shared):
    shared.on("a")
    mv = train()
    shared.on("b")
    barrier = threading.Barrier(6)

    def read() -> int:
        barrier.wait()
        arrays, _ = read_artifact(mv.path)
        return int(arrays["subject_ids"].size)

    with ThreadPoolExecutor(6) as pool:
        sizes = list(pool.map(lambda _: read(), range(6)))
    assert len(set(sizes)) == 1 and sizes[0] > 0
    version_dir = shared.cache("b") / mv.version
    assert [p.name for p in version_dir.iterdir()] == [
        mv.path.rpartition("/")[2].removesuffix(".json")
    ]
