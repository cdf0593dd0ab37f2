"""The embedded backend: a thread-safe in-process buffer.

Flushed when it holds BATCH_SIZE events (in the submitting thread), by a daemon timer
thread every FLUSH_INTERVAL seconds (0 turns the thread off), and at process exit.
A failed write puts the batch back, so a database hiccup loses nothing.
"""

from __future__ import annotations

import atexit
import logging
import threading

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.events import TrackedEvent
from personalization_plugin.tracking import drops
from personalization_plugin.tracking.backends.base import EventBackend, event_subjects

logger = logging.getLogger("personalization_plugin.tracking")

# Beyond this many unflushed events (the database has been failing for long), the oldest
# are dropped with an error rather than exhausting the web process's memory.
MAX_BUFFERED = 200_000


class LocalBackend(EventBackend):
    name = "local"

    def __init__(self) -> None:
        self._buffer: list[TrackedEvent] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()
        atexit.register(self._flush_at_exit)

    def discard(self) -> int:
        """Drop every buffered event unwritten; returns how many (tests reset with this)."""
        with self._lock:
            dropped, self._buffer = len(self._buffer), []
        return dropped

    def submit(self, event: TrackedEvent) -> bool:
        with self._lock:
            self._buffer.append(event)
            size = len(self._buffer)
            if size > MAX_BUFFERED:
                dropped = size - MAX_BUFFERED
                del self._buffer[:dropped]
                logger.error(
                    "Event buffer overflow: dropped the %d oldest unflushed events.", dropped
                )
        self._ensure_timer()
        if size >= plugin_settings.BATCH_SIZE:
            try:
                self.flush()
            except Exception:
                logger.exception("Flushing %d buffered events failed; they stay buffered.", size)
        return True

    def flush(self) -> int:
        """Write the whole buffer; returns how many events were stored.

        Events the database refuses are dead-lettered and the rest stored; on an outage
        the unwritten events go back into the buffer and the error is raised."""
        written = done = 0
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            step = max(1, int(plugin_settings.BATCH_SIZE))
            try:
                for done in range(0, len(batch), step):
                    written += self.write(batch[done : done + step])
            except Exception:  # an outage (refused rows are dead-lettered, not raised)
                with self._lock:
                    self._buffer[:0] = batch[done:]
                raise
            drops.fold()  # the intake's drop counts reach the database with the events
        return written

    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def scrub(self, subjects: set[str]) -> int:
        with self._lock:
            kept = [e for e in self._buffer if not event_subjects(e) & subjects]
            removed = len(self._buffer) - len(kept)
            self._buffer = kept
        return removed

    def _ensure_timer(self) -> None:
        if self._timer is not None or float(plugin_settings.FLUSH_INTERVAL or 0) <= 0:
            return
        with self._lock:
            if self._timer is None:
                self._timer = threading.Thread(
                    target=self._run_timer, name="personalization-flush", daemon=True
                )
                self._timer.start()

    def _run_timer(self) -> None:
        from django.db import close_old_connections, connection

        while not self._stop.wait(max(0.05, float(plugin_settings.FLUSH_INTERVAL or 1.0))):
            if not self.pending() and not drops.pending():
                continue
            try:
                close_old_connections()
                self.flush()
            except Exception:
                logger.exception("Timed flush of buffered events failed; they stay buffered.")
            finally:
                connection.close()

    def _flush_at_exit(self) -> None:
        self._stop.set()
        if not self.pending():
            return
        try:
            self.flush()
        except Exception:
            logger.exception(
                "Flushing buffered events at exit failed; %d events lost.", self.pending()
            )
