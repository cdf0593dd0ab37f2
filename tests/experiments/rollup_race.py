"""Concurrent roll-up refreshes, as separate processes on one shared database.

    python -m tests.experiments.rollup_race <postgres|sqlite> <workdir>

Creates the database (`tests.privacy.race_settings`), stores random traffic and an
experiment, builds the roll-up, then starts REFRESHERS processes that each refresh
ROUNDS times while this process keeps storing events. Prints one JSON line: the exit
codes and whether the rows then give exactly the event scan's analysis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

REFRESHERS = 4
ROUNDS = 4


def _setup(vendor: str, workdir: str) -> None:
    os.environ["SP_RACE_VENDOR"] = vendor
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.privacy.race_settings"
    if "SP_RACE_DB" not in os.environ:
        os.environ["SP_RACE_DB"] = (
            os.path.join(workdir, "rollup.sqlite3")
            if vendor == "sqlite"
            else f"sp_rollup_race_{os.getpid()}"
        )
    import django

    django.setup()


def refresher(experiment_id: int) -> None:
    from personalization_plugin.experiments import person_rollup
    from personalization_plugin.experiments.models import Experiment

    experiment = Experiment.objects.get(pk=experiment_id)
    for _ in range(ROUNDS):
        person_rollup.refresh(experiment)


def run(vendor: str, workdir: str) -> dict:
    from datetime import timedelta

    import numpy as np
    from django.core.management import call_command
    from django.utils import timezone

    from personalization_plugin.experiments.metrics import analyse
    from personalization_plugin.experiments.models import Experiment
    from tests.experiments.test_person_rollup import random_events

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(21)
    now = timezone.now()
    experiment = Experiment.objects.create(
        name="race",
        placement="for_you",
        holdout_percent=50,
        status=Experiment.Status.RUNNING,
        started_at=now - timedelta(days=8),
    )
    random_events(rng, 400, 60, start=experiment.started_at, end=now - timedelta(days=1))
    analyse(experiment)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.experiments.rollup_race",
                vendor,
                workdir,
                str(experiment.pk),
            ],
            env=os.environ.copy(),
        )
        for _ in range(REFRESHERS)
    ]
    for _ in range(8):
        random_events(rng, 40, 90, start=now - timedelta(days=1), end=now - timedelta(minutes=1))
    codes = [p.wait(timeout=240) for p in procs]
    rolled, scanned = analyse(experiment), analyse(experiment, scan=True)
    same = (
        rolled.control == scanned.control
        and rolled.treatment == scanned.treatment
        and rolled.estimates == scanned.estimates
    )
    return {"exit_codes": codes, "same": same, "people": rolled.people}


def main(vendor: str, workdir: str, experiment_id: str | None = None) -> None:
    if experiment_id is not None:
        _setup(vendor, workdir)
        refresher(int(experiment_id))
        return
    from tests.privacy.erasure_race import _postgres

    name = f"sp_rollup_race_{os.getpid()}"
    if vendor == "postgres":
        os.environ["SP_RACE_DB"] = name
        _postgres(name, "CREATE DATABASE {name}")
    try:
        _setup(vendor, workdir)
        print(json.dumps(run(vendor, workdir)))
    finally:
        if vendor == "postgres":
            from django.db import connections

            connections.close_all()
            _postgres(name, "DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main(*sys.argv[1:])
