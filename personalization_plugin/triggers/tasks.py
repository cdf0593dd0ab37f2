"""The delivery task: one per message, enqueued by the scan (django-tasks).

With a backend that runs tasks later (`supports_defer`), a retry is enqueued for its
`next_attempt_at`; with one that cannot (the immediate backend of tests and small
stores), the row waits for `delivery.run_due()`, which `manage.py personalization_triggers`
runs on every call. A backend that is down loses nothing either: the row stays due.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

logger = logging.getLogger("personalization_plugin.triggers")


@task()
def send_message(delivery_id: str) -> str:
    """One delivery attempt for the message `delivery_id`; returns its status after it.
    A failed attempt is handed to the backend again for its next attempt's time."""
    from personalization_plugin.triggers.delivery import send
    from personalization_plugin.triggers.models import Message

    status = send(delivery_id)
    if status == Message.Status.FAILED:
        when = (
            Message.objects.filter(delivery_id=delivery_id)
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if when is not None:
            enqueue(delivery_id, run_after=when)
    return status


def enqueue(delivery_id: str, *, run_after: datetime | None = None) -> bool:
    """Queue an attempt (now, or at `run_after` if the backend can wait); False when
    the backend cannot take it, and the due-retries runner will send it instead."""
    job = send_message
    if run_after is not None:
        if not job.get_backend().supports_defer:
            return False
        job = job.using(run_after=run_after)
    try:
        job.enqueue(delivery_id)
    except Exception as exc:  # the ledger row is the source of truth; run_due finds it
        logger.error("Could not enqueue message delivery (%s); it stays due.", type(exc).__name__)
        return False
    return True
