"""The intake's rate limit across web processes: shared through Redis, per process without
it, and a system check (personalization.W004) that says so when the environment
announces several web processes without REDIS_URL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis as redis_lib

from personalization_plugin.checks import check_personalization_settings, web_processes

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 600
PER_PROCESS = 500
# One web process: counts PER_PROCESS events from one visitor and address against LIMIT.
WORKER = """
import sys, django
django.setup()
from django.conf import settings
from django.test import override_settings
values = {"REDIS_URL": sys.argv[1] or None, "KEY_PREFIX": sys.argv[2],
          "RATE_LIMIT_PER_MINUTE": int(sys.argv[3])}
with override_settings(PERSONALIZATION={**settings.PERSONALIZATION, **values}):
    from personalization_plugin.tracking import ratelimit
    print(sum(ratelimit.allow(["v:replayer", ratelimit.ip_key("203.0.113.9")], 1)
              for _ in range(int(sys.argv[4]))))
"""


def accepted_by_two_processes(redis_url: str) -> int:
    """Events accepted when two web processes serve the same visitor at once."""
    if time.time() % 60 > 50:  # stay inside one fixed window
        time.sleep(61 - time.time() % 60)
    prefix = f"sptest-shared-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", WORKER, redis_url, prefix, str(LIMIT), str(PER_PROCESS)]
    processes = [
        subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    if redis_url:
        client = redis_lib.Redis.from_url(redis_url)
        for name in client.scan_iter(f"{prefix}:*"):
            client.delete(name)
    return sum(int(out.strip().splitlines()[-1]) for out in outputs)


def test_two_web_processes_with_redis_share_one_limit(settings: Any) -> None:
    assert accepted_by_two_processes(settings.REDIS_TEST_URL) == LIMIT


def test_two_web_processes_without_redis_each_count_their_own_limit() -> None:
    # The documented limitation that personalization.W004 warns about.
    assert accepted_by_two_processes("") == 2 * PER_PROCESS > LIMIT


def check_ids(settings: Any, **values: Any) -> list[str]:
    settings.PERSONALIZATION = {"ADAPTER": "tests.tracking.adapter.CatalogAdapter", **values}
    return [m.id for m in check_personalization_settings()]


def test_several_web_processes_without_redis_get_a_warning(settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert "personalization.W004" in check_ids(settings)
    (warning,) = [m for m in check_personalization_settings() if m.id == "personalization.W004"]
    assert "4 times the limit" in warning.msg and "REDIS_URL" in warning.hint


def test_gunicorn_workers_without_redis_get_a_warning(settings: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--bind 0.0.0.0:8000 --workers 3")
    assert "personalization.W004" in check_ids(settings)


def test_no_warning_with_redis_or_a_single_process(settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert "personalization.W004" not in check_ids(settings, REDIS_URL="redis://127.0.0.1:6379/0")
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    assert "personalization.W004" not in check_ids(settings)


def test_web_processes_reads_the_usual_variables() -> None:
    assert web_processes({}) == (1, "")
    assert web_processes({"WEB_CONCURRENCY": "2"}) == (2, "WEB_CONCURRENCY")
    assert web_processes({"GUNICORN_CMD_ARGS": "-w 5"}) == (5, "GUNICORN_CMD_ARGS")
    assert web_processes({"GUNICORN_CMD_ARGS": "--workers=2 --threads 4"}) == (
        2,
        "GUNICORN_CMD_ARGS",
    )
    assert web_processes({"WEB_CONCURRENCY": "lots"}) == (1, "")
