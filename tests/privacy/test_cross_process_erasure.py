"""An erasure in one process is honoured by every other process at once.

Process B fills each per-process cache that holds per-shopper data; process A erases
the shopper; B reads again straight away. Before the shared erasure generation
(`tracking.erasure_generation`), B kept serving the erased shopper's purchases, "bought
next" counts, muted categories, cached lists and profile until each entry expired, and
the intake kept accepting the erased visitor id for up to 30 s without Redis.
Both databases, with and without Redis, in every run (`tests.privacy.cache_race`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("redis", ["redis", "none"])
@pytest.mark.parametrize("vendor", ["sqlite", "postgres"])
def test_another_process_forgets_the_erased_shopper_at_once(vendor, redis, tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.privacy.cache_race", vendor, redis, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["exit_code"] == 0, result
    before, after = result["before"], result["after"]
    assert before == {
        "bought_before": ["p1", "p2"],
        "bought_next": ["p2", "p3"],
        "purchased": ["p1", "p2"],
        "forgotten": False,
        "muted": ["cat-7"],
        "cached_list": True,
        "profile_orders": ["cafe-0", "cafe-1"],
    }, "B must first hold the shopper in every cache"
    assert after == {
        "bought_before": [],
        "bought_next": ["p3"],  # the other buyer still counts
        "purchased": [],
        "forgotten": True,
        "muted": [],
        "cached_list": False,
        "profile_orders": [],
    }
