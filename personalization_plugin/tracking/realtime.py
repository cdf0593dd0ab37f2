"""Real-time per-shopper state: recently viewed, cart, recent items, trending (skeleton)."""

from __future__ import annotations

from collections.abc import Iterable

from .events import TrackedEvent


class RealtimeStore:
    def record(self, event: TrackedEvent, category_ids: Iterable[str] = ()) -> None:
        raise NotImplementedError

    def recently_viewed(self, subject: str, n: int = 20) -> list[str]:
        raise NotImplementedError

    def recent_items(self, subject: str, n: int = 10) -> list[str]:
        raise NotImplementedError

    def cart(self, subject: str) -> list[str]:
        raise NotImplementedError

    def trending(self, n: int = 10, category_id: str | None = None) -> list[tuple[str, float]]:
        raise NotImplementedError

    def forget(self, subject: str) -> int:
        raise NotImplementedError


def get_realtime() -> RealtimeStore:
    raise NotImplementedError
