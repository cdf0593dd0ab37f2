"""Overlapping erasures: every shopper is gone from every artifact and from what is served.

Eight forget-me requests at once, as eight processes, each with its own database
connection as web workers on several machines would have: on PostgreSQL inside the
test database, on SQLite against a database file (the in-memory test database cannot be
shared by processes). Before the ledger and the rewrite lock, each erasure read, edited
and rewrote the artifact on its own, and the last writer put back the shoppers the
others had removed (4 of 8 still in the active model on PostgreSQL).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from personalization_plugin.engine import registry
from personalization_plugin.engine.artifacts import read_artifact
from personalization_plugin.privacy.erasure import erase
from tests.privacy.erasure_race import (
    N_SUBJECTS,
    SHOPPERS,
    erase_in_processes,
    leftovers,
    seed_and_train,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def trained(personalization: Any, tmp_path: Any, transactional_db: Any) -> Any:
    personalization(
        MODEL_DIR=str(tmp_path / "models"), ADAPTER="tests.engine.adapter.MemoryAdapter"
    )
    yield seed_and_train()
    registry.reset()


def assert_nobody_left(result: dict[str, Any]) -> None:
    assert result["served"] == [] and result["others_served"]
    for version, found in result["artifacts"].items():
        assert found["left"] == [], f"{found['left']} still in artifact {version}"
        assert found["subjects"] == N_SUBJECTS - len(SHOPPERS)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL run: PERSONALIZATION_TEST_DB=postgres"
)
def test_eight_concurrent_erasures_on_postgresql_leave_nobody_in_any_artifact(trained) -> None:
    assert erase_in_processes(SHOPPERS) == [0] * len(SHOPPERS)
    assert_nobody_left(leftovers(trained))


def test_eight_concurrent_erasures_on_sqlite_leave_nobody_in_any_artifact(tmp_path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.privacy.erasure_race",
            str(tmp_path / "race.sqlite3"),
            str(tmp_path / "models"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["exit_codes"] == [0] * len(SHOPPERS), run.stderr[-2000:]
    assert_nobody_left(result)


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
