"""Shared fixtures. Area-specific fixtures live in each area's own conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib
from django.conf import settings


@pytest.fixture(autouse=True)
def fresh_process_state() -> Iterator[None]:
    """Every test starts and ends with empty in-process state (event buffer, real-time
    store, product/consent/serving caches, rate counters): that state outlives a test's
    database rollback, and events buffered by one test must never land in another's.
    The active language is state too: a request that activated German (LocaleMiddleware,
    a Wagtail user's preference) leaves it active in this thread."""
    from django.utils import translation

    from personalization_plugin.serving import clear_caches
    from personalization_plugin.tracking.testing import reset_tracking_state

    translation.activate(settings.LANGUAGE_CODE)
    reset_tracking_state()
    clear_caches()
    yield
    reset_tracking_state()
    clear_caches()
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def redis_client() -> Iterator[redis_lib.Redis]:
    """A real Redis connection on the test database, emptied of this worker's keys after use."""
    client = redis_lib.Redis.from_url(settings.REDIS_TEST_URL)
    try:
        client.ping()
    except redis_lib.ConnectionError as exc:  # make test starts Redis; say so when it is missing
        pytest.fail(f"Redis is not running at {settings.REDIS_TEST_URL} ({exc}); run `make redis`.")
    prefix = settings.PERSONALIZATION["KEY_PREFIX"]
    yield client
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def use_redis(settings: Any, redis_client: redis_lib.Redis) -> redis_lib.Redis:
    """Switch the plugin to its Redis backends for one test."""
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "REDIS_URL": settings.REDIS_TEST_URL}
    return redis_client


@pytest.fixture
def personalization(settings: Any):
    """Change PERSONALIZATION values for one test: `personalization(CONSENT_MODE="required")`."""

    def change(**values: Any) -> None:
        settings.PERSONALIZATION = {**settings.PERSONALIZATION, **values}

    return change


@pytest.fixture(scope="session", autouse=True)
def _remove_test_model_dir() -> Iterator[None]:
    """Model artifacts written by tests live in a per-process temp dir, removed at the end."""
    yield
    import shutil

    shutil.rmtree(settings.PERSONALIZATION["MODEL_DIR"], ignore_errors=True)
