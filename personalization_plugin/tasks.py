"""Background tasks (django-tasks). Enqueue training from anywhere:

    from personalization_plugin.tasks import train_model
    train_model.enqueue()                 # PERSONALIZATION["ALGORITHM"]
    train_model.enqueue(algorithm="bpr")

Run a worker for the configured TASKS backend (e.g. `manage.py db_worker` with
django-tasks' database backend); with the immediate backend it runs in-line.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

# The journey message delivery task lives with its ledger; importable from here too.
from personalization_plugin.triggers.tasks import send_message

__all__ = ["send_message", "train_model"]


@task()
def train_model(algorithm: str | None = None, full: bool = False) -> dict[str, Any]:
    """Train and activate a new model version (warm started from the active ALS/BPR
    model unless `full`); returns a JSON-able summary."""
    from personalization_plugin.engine.training import train
    from personalization_plugin.serving.cache import precompute_after_training

    mv = train(algorithm=algorithm, full=full)
    precomputed = precompute_after_training()
    return {
        "version": mv.version,
        "algorithm": mv.algorithm,
        "n_users": mv.n_users,
        "n_items": mv.n_items,
        "n_interactions": mv.n_interactions,
        "training_seconds": mv.training_seconds,
        "metrics": mv.metrics,
        "warm_start_from": mv.params.get("warm_start_from", ""),
        "precomputed": precomputed,
    }
