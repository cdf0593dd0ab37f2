"""`manage.py personalization_precompute [--days 30] [--limit N]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Cache the active model's personal recommendation lists for shoppers active "
        "recently, so their first request is served from the cache."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=30,
            help="Shoppers with an event in the last N days (default 30).",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=0,
            help="Cache at least N items per list (default: the serving cache's minimum).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.engine.registry import get_active_model
        from personalization_plugin.serving.cache import active_subjects, precompute

        if options["days"] < 1:
            raise CommandError("--days must be at least 1 (shoppers active in the last N days).")
        if options["limit"] < 0:
            raise CommandError("--limit must be 0 or more.")
        model = get_active_model()
        if model is None:
            raise CommandError(
                "No active recommendation model: run `manage.py personalization_train` first."
            )
        subjects = active_subjects(options["days"])
        written = precompute(model, subjects, n=options["limit"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Cached {written} personal lists (model {model.version}; "
                f"{len(subjects)} shoppers active in the last {options['days']} days)."
            )
        )
