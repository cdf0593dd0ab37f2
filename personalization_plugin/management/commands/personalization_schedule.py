"""`manage.py personalization_schedule`: start the daily retraining when its hour comes.

Run it from cron (or any scheduler) every hour, e.g. `5 * * * * manage.py
personalization_schedule`. It enqueues `tasks.train_model` when the current UTC hour is
the owner's TRAINING_HOUR (Wagtail admin > Personalization > Settings, or
PERSONALIZATION["TRAINING_HOUR"]) and no model was trained in the last 20 hours, so
running it twice in the same hour trains once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.models import ModelVersion

MIN_GAP = timedelta(hours=20)


def training_due(now: Any = None) -> bool:
    """True when the training hour has come and no recent model exists."""
    hour = plugin_settings.TRAINING_HOUR
    now = now or timezone.now()
    if hour is None or now.hour != int(hour):
        return False
    return not ModelVersion.objects.filter(created_at__gte=now - MIN_GAP).exists()


class Command(BaseCommand):
    help = "Enqueue the daily model training when TRAINING_HOUR (UTC) has come."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Train now, whatever the hour.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["force"] and not training_due():
            hour = plugin_settings.TRAINING_HOUR
            self.stdout.write(
                "No training scheduled (TRAINING_HOUR is not set)."
                if hour is None
                else f"Not due: training runs at {int(hour):02d}:00 UTC once a day."
            )
            return
        from personalization_plugin.tasks import train_model

        result = train_model.enqueue()
        self.stdout.write(f"Training enqueued (task {result.id}, status {result.status}).")
