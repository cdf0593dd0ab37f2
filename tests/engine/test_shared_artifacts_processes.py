"""Two web nodes as two processes (`tests.engine.shared_node`), each with its own
MODEL_DIR and local cache, sharing only the database (a SQLite file, and a PostgreSQL
database created for the test) and a bucket on a real S3-protocol server: what one node trains, rolls back or erases, the other serves, within
the registry's own check interval (no invalidation across processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from personalization_plugin.engine.registry import CHECK_SECONDS

from .s3_server import S3, s3, s3_server  # noqa: F401

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# A node checks the database every CHECK_SECONDS; fetching and loading the small planted
# model takes well under a second more on this machine.
SWITCH_SECONDS = CHECK_SECONDS + 1.5


class Node:
    def __init__(self, name: str, home: Path, db: tuple[str, str], bucket: S3) -> None:
        home.mkdir()
        self.home = home
        self.log: IO[bytes] = (home / "stderr.log").open("wb")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SP_NODE_VENDOR": db[0],
            "SP_NODE_DB": db[1],
            "SP_NODE_HOME": str(home),
            "SP_NODE_STORAGE": json.dumps(bucket.storage_setting()),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.engine.shared_node"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.name = name
        assert "ready" in self._reply()

    def _reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                reply = json.loads(line)
            except ValueError:
                continue  # a log line, not an answer
            if isinstance(reply, dict):
                assert "error" not in reply, f"node {self.name}: {reply['error']}\n{self.stderr()}"
                return reply
        raise AssertionError(f"node {self.name} exited:\n{self.stderr()}")

    def stderr(self) -> str:
        self.log.flush()
        return (self.home / "stderr.log").read_text(errors="replace")[-3000:]

    def __call__(self, do: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"do": do, **args}) + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def stop(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write('{"do": "exit"}\n')
                self.proc.stdin.close()
                self.proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self.log.close()


def _postgres(statement: str) -> None:
    import psycopg

    with psycopg.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        user=os.environ.get("PGUSER", "postgres"),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(statement)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_db(request, tmp_path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "shared.sqlite3")
        return
    name = f"sp_nodes_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _postgres(f"CREATE DATABASE {name}")
    try:
        yield "postgres", name
    finally:
        _postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def two_nodes(s3, tmp_path, shared_db):  # noqa: F811
    a = Node("a", tmp_path / "node-a", shared_db, s3)
    try:
        a("seed")
        b = Node("b", tmp_path / "node-b", shared_db, s3)
    except BaseException:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def test_train_rollback_and_erasure_on_one_node_reach_the_other(two_nodes, s3):  # noqa: F811
    a, b = two_nodes
    first = a("train")["version"]
    assert b("serving", version=first, timeout=SWITCH_SECONDS)["version"] == first

    second = a("train")["version"]
    switched = b("serving", version=second, timeout=SWITCH_SECONDS + 1)
    assert switched["version"] == second
    assert switched["seconds"] <= SWITCH_SECONDS

    assert a("rollback")["version"] == first
    back = b("serving", version=first, timeout=SWITCH_SECONDS + 1)
    assert back["version"] == first and back["seconds"] <= SWITCH_SECONDS

    assert a("serving", version=first, subject="v:b5", knows=True)["knows"]
    before = set(s3.keys())
    assert b("erase", visitor="b5")["report"]
    gone = a("serving", version=first, subject="v:b5", knows=False, timeout=SWITCH_SECONDS + 1)
    assert gone["version"] == first and not gone["knows"]
    assert gone["seconds"] <= SWITCH_SECONDS
    # Every version's objects were replaced; nothing that held b5 is left in the bucket.
    after = set(s3.keys())
    assert len(after) == len(before) and not after & before

    # No disk shared: each node has only its own cache, and no artifact in MODEL_DIR.
    for node in (a, b):
        assert not list((node.home / "models").glob("2*"))
    assert {p.name for p in (b.home / "cache").iterdir()} <= {first, second}
