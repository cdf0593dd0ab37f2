"""What honouring the erasure ledger costs when a model artifact is loaded.

    .venv/bin/python benchmarks/erasure_ledger.py [--subjects 100000] [--keys 2]

Loading an artifact trained before a recent erasure hashes every subject it holds (under
each hash key, for rotations) to match them against the ledger. Compared in the same run
with the baseline of hashing them one by one with Django's `salted_hmac` (the way
`core.subjects.digest` hashes one subject). Prints wall and CPU time of each, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def timed(func):
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=2, help="hash keys honoured (1 + fallbacks)")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.utils.crypto import salted_hmac

    from personalization_plugin.core import subjects

    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "HASH_KEY": "bench-hash-key",
        "HASH_KEY_FALLBACKS": [f"old-{k}" for k in range(args.keys - 1)],
    }
    ids = [f"v:{k:032x}" for k in range(args.subjects)]
    keys = subjects.hash_keys()[: args.keys]

    def baseline() -> int:
        return len(
            {
                salted_hmac("personalization_plugin.erased", s, secret=key).hexdigest()
                for key in keys
                for s in ids
            }
        )

    base, base_wall, base_cpu = timed(baseline)
    fast, wall, cpu = timed(lambda: len(subjects.digest_map(ids, "erased", 64)))
    assert fast >= base - 1, "digest_map must hash every subject under every key"
    print(f"{args.subjects:,} subjects x {len(keys)} key(s)")
    print(f"  salted_hmac per subject: {base_wall:.3f} s wall, {base_cpu:.3f} s CPU")
    print(f"  digest_map:              {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(f"  ratio (digest_map / baseline): {wall / base_wall:.2f} wall, {cpu / base_cpu:.2f} CPU")


if __name__ == "__main__":
    main()
