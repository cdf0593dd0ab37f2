"""A real S3-protocol server for the shared-artifact tests: moto's standalone server
(`moto[server]`, a test extra), started as a subprocess on a free loopback port, one per
test session, with a fresh bucket per test. Fixtures are imported by the test modules
that need them (`from .s3_server import s3, s3_server`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

REGION = "us-east-1"
KEY = "testing"  # moto accepts any credentials; these never leave loopback


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY,
            aws_secret_access_key=KEY,
            region_name=REGION,
        )

    def storage_setting(self) -> dict[str, Any]:
        """The `STORAGES["personalization"]` entry a store would write (docs/deploying.md)."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": self.bucket,
                "endpoint_url": self.endpoint,
                "access_key": KEY,
                "secret_key": KEY,
                "region_name": REGION,
                "location": "models",
            },
        }

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a moto server that runs for the session."""
    port = free_port()
    # Its request log goes to a file: a pipe nobody reads would fill and stall the server.
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                err = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"moto_server did not start on {endpoint}: {err}") from None
            time.sleep(0.1)
    try:
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def s3(s3_server: str, settings: Any) -> S3:
    """A new bucket, configured as `STORAGES["personalization"]` (S3Storage)."""
    found = S3(s3_server, f"sp-{uuid.uuid4().hex[:12]}")
    found.client().create_bucket(Bucket=found.bucket)
    settings.STORAGES = {**settings.STORAGES, "personalization": found.storage_setting()}
    return found
