"""Long-running flusher for the Redis backend: moves events from the stream to the database.

Run one or more per deployment (each is its own consumer in the group; entries of a
worker that dies are reclaimed by the others). Stops cleanly on SIGTERM/SIGINT, or after
--max-seconds (used by tests and cron-style runs).
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking import dead_letters
from personalization_plugin.tracking.backends import get_backend


class Command(BaseCommand):
    help = "Continuously flush tracking events from Redis to the database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between flushes when idle (default FLUSH_INTERVAL).",
        )
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=None,
            help="Stop after this many seconds (default: run until stopped).",
        )
        parser.add_argument(
            "--reclaim-idle-ms",
            type=int,
            default=60_000,
            help="Reclaim entries a crashed worker left pending this long (milliseconds).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        if backend.name != "redis":
            self.stderr.write(
                "Note: REDIS_URL is not set, so events are buffered in each web process; "
                "this worker only flushes its own (empty) buffer. Use it with the Redis backend."
            )
        interval = options["interval"]
        if interval is None:
            interval = float(plugin_settings.FLUSH_INTERVAL) or 1.0
        if interval <= 0:
            raise CommandError("--interval must be positive.")
        deadline = (
            None if options["max_seconds"] is None else time.monotonic() + options["max_seconds"]
        )
        stopping = {"now": False}

        def stop(signum: int, frame: Any) -> None:
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        total = 0
        refused_before = refused_seen = dead_letters.recorded()
        while not stopping["now"] and (deadline is None or time.monotonic() < deadline):
            if not connection.in_atomic_block:  # long-running: drop stale connections
                close_old_connections()
            try:
                written = (
                    backend.flush(reclaim_idle_ms=options["reclaim_idle_ms"])  # type: ignore[call-arg]
                    if backend.name == "redis"
                    else backend.flush()
                )
            except Exception as exc:  # keep running: the next round retries pending entries
                self.stderr.write(f"Flush failed ({type(exc).__name__}: {exc}); retrying.")
                written = 0
            total += written
            if options["verbosity"] >= 2 and written:
                self.stdout.write(f"Flushed {written} events.")
            if dead_letters.recorded() > refused_seen:
                refused_seen = dead_letters.recorded()
                self.stderr.write(
                    f"{refused_seen - refused_before} event(s) refused by the database so far; "
                    "they are dead-lettered and the worker goes on."
                )
            if not written:
                remaining = (
                    interval if deadline is None else min(interval, deadline - time.monotonic())
                )
                time.sleep(max(0.0, remaining))
        refused = dead_letters.recorded() - refused_before
        self.stdout.write(f"Worker stopped after flushing {total} events; {refused} dead-lettered.")
