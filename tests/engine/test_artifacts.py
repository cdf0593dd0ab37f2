from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from personalization_plugin.engine import artifacts
from personalization_plugin.engine.artifacts import (
    ArtifactError,
    read_artifact,
    rewrite_artifact,
    write_artifact,
)


def sample() -> dict[str, np.ndarray]:
    return {
        "item_ids": np.array(["a", "bb"]),
        "factors": np.arange(6, dtype=np.float32).reshape(2, 3),
    }


def test_round_trip_keeps_arrays_and_manifest(tmp_path):
    path = write_artifact(tmp_path, "v1", sample(), {"params": {"algorithm": "als"}})
    arrays, manifest = read_artifact(path)
    assert arrays["item_ids"].tolist() == ["a", "bb"]
    assert np.array_equal(arrays["factors"], sample()["factors"])
    assert manifest["version"] == "v1" and manifest["params"] == {"algorithm": "als"}
    assert len(manifest["sha256"]) == 64


def test_object_arrays_are_refused_rather_than_pickled(tmp_path):
    path = write_artifact(tmp_path, "v1", {"bad": np.array([{"x": 1}], dtype=object)}, {})
    with pytest.raises(ArtifactError, match="cannot be read"):
        read_artifact(path)


def test_a_modified_file_fails_the_checksum(tmp_path):
    path = write_artifact(tmp_path, "v1", sample(), {})
    with (path / artifacts.ARRAYS_FILE).open("ab") as fh:
        fh.write(b"x")
    with pytest.raises(ArtifactError, match="checksum"):
        read_artifact(path)


def test_an_incompatible_format_is_refused_with_what_to_do(tmp_path):
    path = write_artifact(tmp_path, "v1", sample(), {})
    manifest = json.loads((path / artifacts.MANIFEST_FILE).read_text())
    manifest["format"] = 99
    (path / artifacts.MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="personalization_train"):
        read_artifact(path)


def test_versions_are_never_overwritten(tmp_path):
    write_artifact(tmp_path, "v1", sample(), {})
    with pytest.raises(ArtifactError, match="already exists"):
        write_artifact(tmp_path, "v1", sample(), {})


def test_a_failed_write_leaves_no_directory_behind(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(artifacts.np, "savez", broken)
    with pytest.raises(OSError):
        write_artifact(tmp_path, "v1", sample(), {})
    assert list(Path(tmp_path).iterdir()) == []


def test_rewrite_replaces_arrays_and_checksum(tmp_path):
    path = write_artifact(tmp_path, "v1", sample(), {"n": 2})
    arrays, manifest = read_artifact(path)
    arrays["item_ids"] = arrays["item_ids"][:1]
    rewrite_artifact(path, arrays, manifest)
    again, _ = read_artifact(path)
    assert again["item_ids"].tolist() == ["a"]
    assert sorted(p.name for p in Path(path).iterdir()) == sorted(
        [artifacts.ARRAYS_FILE, artifacts.MANIFEST_FILE]
    )
