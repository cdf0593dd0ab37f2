"""Write every buffered event to the database now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from personalization_plugin.tracking.backends import get_backend


class Command(BaseCommand):
    help = "Flush buffered tracking events (Redis stream or in-process buffer) to the database."

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        written = backend.flush()
        self.stdout.write(
            f"Flushed {written} events ({backend.name} backend); {backend.pending()} pending."
        )
