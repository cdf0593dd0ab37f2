"""Overlapping erasures: every shopper is gone from every artifact, from what is served,
and from every store the privacy audit searches.

Eight forget-me requests at once, as eight processes with their own database
connections (as web workers on several machines have), on PostgreSQL and on SQLite in
every run: `tests.privacy.erasure_race` creates the database the processes share.
Before the ledger and the rewrite lock, each erasure read, edited and rewrote the
artifact on its own, and the last writer put back the shoppers the others had removed
(4 of 8 still in the active model on PostgreSQL).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from personalization_plugin.engine import registry
from personalization_plugin.engine.artifacts import read_artifact
from personalization_plugin.privacy.erasure import erase
from tests.privacy.erasure_race import N_SUBJECTS, SHOPPERS, seed_and_train

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def trained(personalization: Any, tmp_path: Any, db: Any) -> Any:
    personalization(
        MODEL_DIR=str(tmp_path / "models"), ADAPTER="tests.engine.adapter.MemoryAdapter"
    )
    yield seed_and_train()
    registry.reset()


def race(vendor: str, workdir: Path) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "tests.privacy.erasure_race", vendor, str(workdir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["exit_codes"] == [0] * len(SHOPPERS), run.stderr[-3000:]
    return result


@pytest.mark.slow
@pytest.mark.parametrize("vendor", ["postgres", "sqlite"])
def test_eight_concurrent_erasures_leave_nobody_in_any_artifact_or_store(vendor, tmp_path) -> None:
    result = race(vendor, tmp_path)
    assert result["served"] == [] and result["others_served"]
    for version, found in result["artifacts"].items():
        assert found["left"] == [], f"{found['left']} still in artifact {version}"
        assert found["subjects"] == N_SUBJECTS - len(SHOPPERS)
    assert result["audit"] == []
    assert result["kept"], "the audit finds a shopper who was not erased"


@pytest.mark.django_db
def test_an_artifact_that_still_holds_an_erased_shopper_drops_them_when_loaded(trained) -> None:
    """The ledger alone holds: a file that still has an erased shopper (a lost update, or
    training that read their events just before the erasure) never serves them."""
    active = trained[-1]
    backup = f"{active.path}.before"
    shutil.copytree(active.path, backup)
    erase(visitor_id="a0")
    shutil.rmtree(active.path)
    shutil.copytree(backup, active.path)  # the file as a lost update left it
    arrays, _ = read_artifact(active.path)
    assert "v:a0" in arrays["subject_ids"].tolist()
    registry.reset()
    served = registry.get_active_model()
    assert not served.knows_subject("v:a0") and served.knows_subject("v:a1")


@pytest.mark.django_db
def test_training_leaves_out_shoppers_erased_while_it_ran(trained, monkeypatch) -> None:
    """Events read before an erasure deleted them must not reach the new artifact."""
    from personalization_plugin.engine import training

    real_load = training.load_events

    def load_then_erase():
        log = real_load()
        erase(visitor_id="b5")  # lands after the read, before the artifact is written
        return log

    monkeypatch.setattr(training, "load_events", load_then_erase)
    mv = training.train(holdout=False, full=True)
    arrays, manifest = read_artifact(mv.path)
    assert "v:b5" not in arrays["subject_ids"].tolist()
    assert manifest["n_users"] == N_SUBJECTS - 1 and mv.n_users == N_SUBJECTS - 1
