"""Write every buffered event to the database now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from personalization_plugin.tracking import dead_letters, drops
from personalization_plugin.tracking.backends import get_backend


class Command(BaseCommand):
    help = "Flush buffered tracking events (Redis stream or in-process buffer) to the database."

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        before = dead_letters.recorded()
        written = backend.flush()
        refused = dead_letters.recorded() - before
        line = f"Flushed {written} events ({backend.name} backend); {backend.pending()} pending."
        if refused:
            line += (
                f" {refused} refused by the database and dead-lettered"
                " (see Dead-letter events in the admin)."
            )
        self.stdout.write(line)
        dropped = drops.today()
        if dropped:
            self.stdout.write(
                "Dropped at intake today: "
                + ", ".join(f"{n} {reason}" for reason, n in sorted(dropped.items()))
                + "."
            )
