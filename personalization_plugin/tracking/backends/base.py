"""The one interface every event backend honours."""

from __future__ import annotations

from ..events import TrackedEvent


class EventBackend:
    def submit(self, event: TrackedEvent) -> None:
        raise NotImplementedError

    def flush(self) -> int:
        raise NotImplementedError

    def pending(self) -> int:
        raise NotImplementedError
