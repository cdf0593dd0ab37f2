"""Reliability fixtures: a redis-server this test process owns (so it can be killed and
restarted without touching the machine's shared Redis), a small demo catalog, and clean
in-process state around every test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis as redis_lib

from personalization_plugin.engine import registry
from personalization_plugin.serving import clear_caches
from personalization_plugin.tracking.testing import reset_tracking_state


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    """A redis-server subprocess on a private loopback port: start, kill, restart."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed; run `make redis` (it installs it).")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis_lib.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis_lib.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis_lib.Redis:
        return redis_lib.Redis(port=self.port)


@pytest.fixture(scope="session")
def own_redis_server() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def own_redis(own_redis_server: OwnRedis, settings: Any) -> Iterator[OwnRedis]:
    """Switch the plugin to the private Redis for one test; empty it afterwards."""
    if own_redis_server.process is None:
        own_redis_server.start()
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "REDIS_URL": own_redis_server.url}
    reset_tracking_state()
    yield own_redis_server
    if own_redis_server.process is None:  # a test killed it and did not restart it
        own_redis_server.start()
    own_redis_server.client().flushall()  # our own server, nobody else's data


def _reset() -> None:
    reset_tracking_state()
    clear_caches()
    registry.reset()


@pytest.fixture(autouse=True)
def reliability_settings(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": "shop.adapter.ShopAdapter",
        "CONSENT_MODE": "implied",
        "FLUSH_INTERVAL": 0,
        "MODEL_DIR": str(tmp_path / "models"),
    }
    from personalization_plugin.adapters import _adapter_for

    _adapter_for.cache_clear()
    _reset()
    yield
    _reset()


@pytest.fixture
def catalog(db: None) -> list[Any]:
    """Twelve published, in-stock products in two categories."""
    from shop.models import Category, Product

    cookware = Category.objects.create(name="Cookware", slug="cookware", position=1)
    garden = Category.objects.create(name="Garden", slug="garden", position=2)
    return [
        Product.objects.create(
            title=f"Stoneware Bowl {n}" if n % 2 else f"Garden Trowel {n}",
            slug=f"product-{n}",
            price=Decimal(f"{10 + n}.50"),
            currency="EUR",
            stock=10,
            category=cookware if n % 2 else garden,
        )
        for n in range(1, 13)
    ]


@pytest.fixture
def shopper_history(catalog: list[Any]) -> Callable[..., None]:
    """Give a visitor a browsing history through the public tracking API."""
    from personalization_plugin import track

    def record(visitor_id: str, products: list[Any] | None = None, customer_id: str = "") -> None:
        for product in products or catalog[:4]:
            track(
                "view",
                visitor_id=visitor_id,
                customer_id=customer_id or None,
                product_id=str(product.pk),
            )
        track(
            "cart_add",
            visitor_id=visitor_id,
            customer_id=customer_id or None,
            product_id=str((products or catalog)[0].pk),
        )

    return record


def pause(server: OwnRedis) -> None:
    """SIGSTOP the server: connections stay open but nothing answers (a hung Redis)."""
    import signal

    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)


def resume(server: OwnRedis) -> None:
    import signal

    assert server.process is not None
    server.process.send_signal(signal.SIGCONT)
