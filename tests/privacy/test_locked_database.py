"""A consent or forget-me write that finds SQLite's write lock taken through every retry
answers 503 with Retry-After and says what to do, never a 500.

The lock itself is SQLite's own error ("database is locked", raised by the real write
after its busy timeout); here it is raised by the write so the answer can be checked
without holding a file lock for the busy timeout three times over. The retries and the
race itself are covered by `test_consent.py`'s concurrent requests."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from personalization_plugin.core import db_locks
from personalization_plugin.privacy import views


@pytest.fixture
def always_locked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    attempts: list[int] = []

    def locked(*args: object, **kwargs: object) -> None:
        attempts.append(1)
        raise OperationalError("database is locked")

    monkeypatch.setattr(views, "set_consent", locked)
    monkeypatch.setattr(db_locks, "PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(db_locks.retry_when_locked, "__defaults__", (db_locks.ATTEMPTS, 0.0))
    return attempts


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body"),
    [("/personalization/consent/", {"consent": "denied"}), ("/personalization/forget-me/", {})],
)
def test_a_write_still_locked_after_its_retries_is_a_503_that_says_retry(
    always_locked: list[int], url: str, body: dict[str, str]
) -> None:
    response = Client().post(url, body, content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "busy" in response.json()["error"] and "again" in response.json()["error"]
    assert len(always_locked) == db_locks.ATTEMPTS  # retried before giving up


@pytest.mark.django_db
def test_another_database_error_is_not_mistaken_for_a_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("no such table: personalization_consent")

    monkeypatch.setattr(views, "set_consent", broken)
    with pytest.raises(OperationalError, match="no such table"):
        Client(raise_request_exception=True).post(
            "/personalization/consent/", {"consent": "denied"}, content_type="application/json"
        )
