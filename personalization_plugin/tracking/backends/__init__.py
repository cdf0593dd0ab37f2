"""Event buffering backends: events are written to the database in batches."""

from __future__ import annotations

from .base import EventBackend


def get_backend() -> EventBackend:
    raise NotImplementedError
