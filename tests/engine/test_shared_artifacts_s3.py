"""Shared artifacts on a real S3-protocol server (moto's standalone server) through
django-storages' S3Storage: node "a" trains, node "b" serves, each with its own local
cache and no shared disk (tests/engine/test_shared_artifacts_processes.py runs them as
separate processes)."""

from __future__ import annotations

import logging

import pytest

from personalization_plugin.engine import registry
from personalization_plugin.engine.artifacts import read_artifact
from personalization_plugin.engine.erasure import erase_subjects
from personalization_plugin.engine.training import train
from personalization_plugin.models import ModelVersion

from .s3_server import S3, s3, s3_server  # noqa: F401
from .shared_nodes import Nodes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def nodes(s3, tmp_path, personalization) -> Nodes:  # noqa: F811
    return Nodes(tmp_path, personalization)


def version_keys(bucket: S3, version: str) -> list[str]:
    return [k for k in bucket.keys() if k.startswith(f"models/{version}/")]


def test_node_b_serves_what_node_a_trained_from_the_bucket(planted_db, s3, nodes):  # noqa: F811
    nodes.on("a")
    mv = train()
    keys = version_keys(s3, mv.version)
    assert len(keys) == 2 and f"models/{mv.path.removeprefix('storage:')}" in keys
    assert nodes.on("b").serving() == mv.version
    assert (nodes.cache("b") / mv.version).is_dir()


def test_rollback_on_node_a_is_served_by_node_b(planted_db, nodes):
    nodes.on("a")
    first = train()
    second = train()
    assert nodes.on("b").serving() == second.version
    nodes.on("a")
    registry.rollback()
    assert nodes.on("b").serving() == first.version


def test_erasure_on_node_b_removes_the_shopper_from_what_node_a_serves(
    planted_db,
    s3,  # noqa: F811
    nodes,
):
    nodes.on("a")
    mv = train()
    assert registry.get_active_model().knows_subject("v:b5")
    old = set(version_keys(s3, mv.version))
    nodes.on("b")
    assert erase_subjects({"v:b5"}) == 1
    new = set(version_keys(s3, mv.version))
    assert len(new) == 2 and not new & old  # the objects that held b5 are deleted
    assert nodes.on("a").serving() == mv.version
    assert not registry.get_active_model().knows_subject("v:b5")
    assert registry.get_active_model().knows_subject("v:b4")
    # A third node that never saw the old copy fetches the erased one.
    nodes.on("c")
    arrays, _ = read_artifact(ModelVersion.objects.get(pk=mv.pk).path)
    assert "v:b5" not in arrays["subject_ids"].tolist()


def test_a_corrupted_object_is_refused_and_node_b_keeps_its_model(
    planted_db,
    s3,  # noqa: F811
    nodes,
    caplog,
):
    nodes.on("a")
    first = train()
    assert nodes.on("b").serving() == first.version
    nodes.on("a")
    second = train()
    npz = next(k for k in version_keys(s3, second.version) if "/model-" in k)
    s3.client().put_object(Bucket=s3.bucket, Key=npz, Body=b"\x00" * 64)
    with caplog.at_level(logging.ERROR, logger="personalization_plugin.engine.registry"):
        assert nodes.on("b").serving() == first.version
    assert f"Personalization model {second.version} cannot be loaded" in caplog.text
    assert "does not match its manifest checksum" in caplog.text


def test_a_missing_object_is_refused_and_node_b_keeps_its_model(
    planted_db,
    s3,  # noqa: F811
    nodes,
    caplog,
):
    nodes.on("a")
    first = train()
    assert nodes.on("b").serving() == first.version
    nodes.on("a")
    second = train()
    npz = next(k for k in version_keys(s3, second.version) if "/model-" in k)
    s3.client().delete_object(Bucket=s3.bucket, Key=npz)
    with caplog.at_level(logging.ERROR, logger="personalization_plugin.engine.registry"):
        assert nodes.on("b").serving() == first.version
    assert "the object is missing from STORAGES['personalization']" in caplog.text
    assert second.version in caplog.text


def test_an_unreachable_store_is_retried_and_the_model_kept_meanwhile(
    planted_db,
    s3,  # noqa: F811
    nodes,
    settings,
    caplog,
):
    nodes.on("a")
    first = train()
    assert nodes.on("b").serving() == first.version
    nodes.on("a")
    second = train()
    good = settings.STORAGES["personalization"]
    down = {**good, "OPTIONS": {**good["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"}}
    settings.STORAGES = {**settings.STORAGES, "personalization": down}
    nodes.on("b")
    with caplog.at_level(logging.ERROR, logger="personalization_plugin.engine.registry"):
        assert nodes.serving() == first.version
        assert nodes.serving() == first.version
    assert caplog.text.count("cannot be fetched yet") == 1  # logged once, retried each check
    settings.STORAGES = {**settings.STORAGES, "personalization": good}
    assert nodes.serving() == second.version


def test_an_erasure_while_the_store_is_down_says_to_run_it_again(
    planted_db,
    s3,  # noqa: F811
    nodes,
    settings,
):
    from personalization_plugin.core.exceptions import ErasureIncomplete

    nodes.on("a")
    mv = train()
    good = settings.STORAGES["personalization"]
    down = {**good, "OPTIONS": {**good["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"}}
    settings.STORAGES = {**settings.STORAGES, "personalization": down}
    nodes.on("b")
    with pytest.raises(ErasureIncomplete, match="Run the erasure again"):
        erase_subjects({"v:a3"})
    assert ModelVersion.objects.get(pk=mv.pk).path == mv.path
    settings.STORAGES = {**settings.STORAGES, "personalization": good}
    assert erase_subjects({"v:a3"}) == 1
    assert nodes.on("a").serving() == mv.version
    assert not registry.get_active_model().knows_subject("v:a3")
