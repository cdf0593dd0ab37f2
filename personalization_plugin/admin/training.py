"""Training from the admin in the background: "Train now" must never hold the request.

`start_training` records a `TrainingRun` and hands it to django-tasks (`train_in_background`) for a worker to run. django-tasks' ImmediateBackend (the default,
and the demo's) would run it inside the request, so with that backend the run goes to a
daemon thread of the web process instead; configure a real TASKS backend and worker in
production. `execute` is the run itself: it records each step and the outcome, which the
model page polls (`views.training_progress`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from personalization_plugin.models import TrainingRun

logger = logging.getLogger("personalization_plugin.admin")


def _immediate_backend() -> bool:
    from django_tasks import task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    return isinstance(task_backends[train_in_background.backend], ImmediateBackend)


def current_run() -> TrainingRun | None:
    """The newest run (what the model page shows), or None."""
    return TrainingRun.objects.first()


def start_training(user: Any) -> tuple[TrainingRun, bool]:
    """Start a run unless one is queued or running; returns (run, started)."""
    busy = TrainingRun.objects.filter(
        status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
    ).first()
    if busy is not None:
        return busy, False
    run = TrainingRun.objects.create(
        requested_by=str(getattr(user, "get_username", lambda: "")())[:150],
        step=gettext_noop("Waiting for a worker"),
    )
    if _immediate_backend():
        thread = threading.Thread(
            target=_in_thread,
            args=(run.pk,),
            name=f"personalization-training-{run.pk}",
            daemon=True,
        )
        thread.start()
    else:
        train_in_background.enqueue(run.pk)
    return run, True


def _in_thread(run_id: int) -> None:
    try:
        execute(run_id)
    finally:
        close_old_connections()


def _step(run: TrainingRun, text: str, **fields: Any) -> None:
    """Record a step in English (gettext_noop): the page translates it for its reader.

    Retried while SQLite says the table is locked (the admin page polling the run at the
    same moment): a lost progress write would leave the run "queued" for ever."""
    from personalization_plugin.core.db_locks import retry_when_locked

    run.step = text
    for name, value in fields.items():
        setattr(run, name, value)
    retry_when_locked(lambda: run.save(update_fields=["step", *fields]), attempts=6)


def execute(run_id: int) -> dict[str, Any]:
    """Train, activate and precompute, recording each step on the run; never raises (a
    failure is recorded with its message). Returns the run's result."""
    from personalization_plugin.engine.training import train
    from personalization_plugin.serving.cache import precompute_after_training

    run = TrainingRun.objects.get(pk=run_id)
    _step(
        run,
        gettext_noop("Training the model on the stored events"),
        status=TrainingRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    try:
        mv = train()
        _step(run, gettext_noop("Precomputing the shoppers' lists"))
        precomputed = precompute_after_training()
    except Exception as exc:
        logger.exception("Training from the admin failed.")
        _step(
            run,
            gettext_noop("Failed"),
            status=TrainingRun.Status.FAILED,
            finished_at=timezone.now(),
            error=str(exc)[:500] or type(exc).__name__,
        )
        return {}
    result = {
        "version": mv.version,
        "algorithm": mv.algorithm,
        "n_users": mv.n_users,
        "n_items": mv.n_items,
        "n_interactions": mv.n_interactions,
        "training_seconds": round(mv.training_seconds, 1),
        "precomputed": precomputed,
        # Which thread trained: never the one that answered the admin request.
        "ran_in": threading.current_thread().name,
    }
    _step(
        run,
        gettext_noop("Done"),
        status=TrainingRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        result=result,
    )
    return result


@task()
def train_in_background(run_id: int) -> dict[str, Any]:
    """ "Train now" on a django-tasks worker: `execute` for one run."""
    return execute(run_id)
