"""Engine fixtures: a memory catalog, a private model directory, planted event data.

The planted data has two clusters: users "a*" interact only with items "A*", users
"b*" only with items "B*". Any sensible model must keep recommendations in-cluster.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from personalization_plugin.adapters import ProductInfo, _adapter_for
from personalization_plugin.engine import registry
from personalization_plugin.engine.interactions import EventLog
from personalization_plugin.models import Event

from .adapter import set_products

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CLUSTER_ITEMS = {"A": [f"A{i}" for i in range(8)], "B": [f"B{i}" for i in range(8)]}


@pytest.fixture(autouse=True)
def engine_env(personalization: Any, tmp_path: Any):
    """Each test gets its own model directory, the memory adapter and a fresh registry."""
    personalization(
        MODEL_DIR=str(tmp_path / "models"), ADAPTER="tests.engine.adapter.MemoryAdapter"
    )
    _adapter_for.cache_clear()
    registry.reset()
    set_products(
        [
            ProductInfo(
                id=pid,
                title=pid,
                price=Decimal(10 + k),
                category_ids=(f"cat-{pid[0]}",),
                created_at=NOW - timedelta(days=k),
            )
            for cluster in CLUSTER_ITEMS.values()
            for k, pid in enumerate(cluster)
        ]
    )
    yield
    registry.reset()


def planted_rows(n_users: int = 12, seed: int = 0) -> list[dict[str, Any]]:
    """Event field dicts: each user views 5 items and buys 2 from their own cluster."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for cluster, items in CLUSTER_ITEMS.items():
        for u in range(n_users):
            visitor = f"{cluster.lower()}{u}"
            chosen = rng.choice(items, size=5, replace=False)
            for k, item in enumerate(chosen):
                when = NOW - timedelta(hours=5 * u + k)
                rows.append(
                    {
                        "type": "view",
                        "visitor_id": visitor,
                        "product_id": str(item),
                        "session_id": f"s-{visitor}",
                        "occurred_at": when,
                    }
                )
                if k < 2:
                    rows.append(
                        {
                            "type": "purchase",
                            "visitor_id": visitor,
                            "product_id": str(item),
                            "order_id": f"o-{visitor}",
                            "occurred_at": when,
                        }
                    )
    return rows


def store_events(rows: list[dict[str, Any]]) -> list[Event]:
    return Event.objects.bulk_create(
        [Event(event_id=r.pop("event_id", uuid.uuid4().hex), **r) for r in rows]
    )


@pytest.fixture
def planted_db(db: Any) -> list[Event]:
    return store_events(planted_rows())


def planted_log() -> EventLog:
    rows = planted_rows()
    return EventLog.from_columns(
        subject=[f"v:{r['visitor_id']}" for r in rows],
        item=[r["product_id"] for r in rows],
        type=[r["type"] for r in rows],
        timestamp=[r["occurred_at"].timestamp() for r in rows],
        session=[r.get("session_id", "") for r in rows],
        order=[r.get("order_id", "") for r in rows],
    )
