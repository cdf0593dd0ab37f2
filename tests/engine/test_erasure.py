from __future__ import annotations

import pytest

from personalization_plugin.engine import registry
from personalization_plugin.engine.artifacts import read_artifact
from personalization_plugin.engine.erasure import erase_subjects
from personalization_plugin.engine.training import train
from personalization_plugin.privacy.erasure import erase

pytestmark = pytest.mark.django_db


def test_eraser_removes_a_subjects_factors_and_history(planted_db):
    mv = train()
    before, _ = read_artifact(mv.path)
    removed = erase_subjects({"v:a0", "v:never-seen"})
    after, manifest = read_artifact(mv.path)
    assert removed == 1
    assert "v:a0" not in after["subject_ids"].tolist()
    assert after["core_user_factors"].shape[0] == before["core_user_factors"].shape[0] - 1
    assert after["history_shape"][0] == before["history_shape"][0] - 1
    assert manifest["n_users"] == before["subject_ids"].shape[0] - 1


def test_erased_subject_is_unknown_to_the_served_model(planted_db):
    train()
    assert registry.get_active_model().knows_subject("v:b3")
    erase_subjects({"v:b3"})
    model = registry.get_active_model()
    assert not model.knows_subject("v:b3")
    assert model.knows_subject("v:b4")
    assert model.for_subject("v:b3") == []


def test_older_versions_are_erased_too_so_rollback_cannot_restore_them(planted_db):
    first = train()
    train()
    erase_subjects({"v:a1"})
    arrays, _ = read_artifact(first.path)
    assert "v:a1" not in arrays["subject_ids"].tolist()


def test_privacy_erase_reaches_the_model(planted_db):
    train()
    report = erase(visitor_id="a2")
    assert report["personalization_plugin.engine.erasure.erase_subjects"] == 1
    assert not registry.get_active_model().knows_subject("v:a2")
