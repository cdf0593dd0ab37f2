"""Several web nodes in one test process: each has its own local cache directory and its
own registry state (which model it serves), and they share only the database and
`STORAGES["personalization"]`, as nodes behind a load balancer do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from personalization_plugin.engine import registry


class Nodes:
    """`nodes.on("a")` makes the code that follows run as node "a"."""

    def __init__(self, root: Path, personalization: Callable[..., None]) -> None:
        self.root = root
        self.personalization = personalization
        self.states: dict[str, Any] = {}
        self.current = ""

    def cache(self, name: str) -> Path:
        return self.root / f"node-{name}-cache"

    def on(self, name: str) -> Nodes:
        if self.current:
            self.states[self.current] = registry._state
        registry._state = self.states.get(name) or registry._State()
        self.personalization(MODEL_CACHE_DIR=str(self.cache(name)))
        self.current = name
        return self

    def serving(self) -> str | None:
        """The version this node serves after its next check of the database."""
        registry.invalidate()
        model = registry.get_active_model()
        return model.version if model is not None else None
