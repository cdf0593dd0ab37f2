"""Concurrent writers on SQLite, the demo's database: 12 shoppers choosing consent (or
asking to be forgotten) at the same instant against a real server on a real database file,
as `make demo` runs it (runserver, threads) and as a small store might deploy it
(gunicorn, several worker processes with threads). Before WAL, a busy timeout and
`transaction_mode="IMMEDIATE"`, 7 of 12 answered 500 "database is locked": a deferred
transaction that reads and then writes (`update_or_create`) cannot wait for the lock.
Also: the retry of a write that still finds the database locked, and the system check
that warns a store running SQLite without these settings."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import OperationalError

from personalization_plugin.checks import check_sqlite
from personalization_plugin.core.db_locks import retry_when_locked
from personalization_plugin.tracking.identity import sign_visitor_id

from .conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "example_site"
SHOPPERS = 12
CSRF = "s" * 32  # a CSRF secret: Django accepts it unmasked in cookie and header alike


def site_env(db_file: Path) -> dict[str, str]:
    """The demo's own settings (not the test settings) on `db_file`, importing this
    checkout's code, without Redis: SQLite takes every write."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="example_site.settings",
        DEMO_DB=str(db_file),
        DJANGO_DEBUG="0",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(SITE)]),
        OPENBLAS_NUM_THREADS="1",
    )
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated demo database file, made once and copied for each server."""
    db_file = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=SITE,
        env=site_env(db_file),
        check=True,
        timeout=600,
    )
    return db_file


SERVERS = {
    "runserver (threads, as make demo)": ["manage.py", "runserver", "--noreload", "{addr}"],
    "gunicorn (3 processes x 4 threads)": [
        "-m", "gunicorn", "example_site.wsgi", "-w", "3", "--threads", "4", "-b", "{addr}", "--log-level", "warning",
    ],
}  # fmt: skip


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest, migrated: Path, tmp_path: Path) -> Iterator[str]:
    db_file = tmp_path / "demo.sqlite3"
    shutil.copy(migrated, db_file)
    addr = f"127.0.0.1:{free_port()}"
    command = [sys.executable, *(a.replace("{addr}", addr) for a in SERVERS[request.param])]
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(command, cwd=SITE, env=site_env(db_file), stdout=log, stderr=log)
    url = f"http://{addr}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/graphql/?query={{__typename}}", timeout=30).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"{request.param} did not start: {(tmp_path / 'server.log').read_text()}"
                )
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def at_once(url: str, path: str, forms: list[dict[str, str]]) -> list[requests.Response]:
    """One POST per shopper (own visitor cookie, CSRF cookie and header), released
    together by a barrier."""
    barrier = threading.Barrier(len(forms))
    answers: list[requests.Response | BaseException] = [RuntimeError("no answer")] * len(forms)

    def shopper(n: int) -> None:
        browser = requests.Session()
        browser.cookies.set("sp_vid", sign_visitor_id(f"{n:02d}" * 16))
        browser.cookies.set("csrftoken", CSRF)
        barrier.wait()
        try:
            answers[n] = browser.post(
                f"{url}{path}",
                data=forms[n],
                headers={"X-CSRFToken": CSRF, "Accept": "application/json"},
                timeout=60,
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            answers[n] = exc

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [a for a in answers if not isinstance(a, requests.Response)]
    assert not failures, failures
    return answers  # type: ignore[return-value]


@pytest.mark.slow
def test_twelve_simultaneous_consent_choices_all_succeed(server: str) -> None:
    choices = [{"consent": "granted" if n % 2 else "denied"} for n in range(SHOPPERS)]
    answers = at_once(server, "/personalization/consent/", choices)
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * SHOPPERS, [(a.status_code, a.text[:200]) for a in answers]
    assert [a.json()["consent"] for a in answers] == [c["consent"] for c in choices]


@pytest.mark.slow
def test_twelve_simultaneous_forget_me_requests_all_succeed(server: str) -> None:
    answers = at_once(server, "/personalization/forget-me/", [{}] * SHOPPERS)
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * SHOPPERS, [(a.status_code, a.text[:200]) for a in answers]
    assert all("erased" in a.json() for a in answers)


# The lock retry, on a real SQLite file held by another connection ---------------------


def hold_write_lock(db_file: Path, seconds: float) -> threading.Thread:
    """Another connection takes the write lock (BEGIN IMMEDIATE) and keeps it `seconds`."""
    locked = threading.Event()

    def holder() -> None:
        other = sqlite3.connect(db_file, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=holder)
    thread.start()
    locked.wait(5)
    return thread


def locked_write(db_file: Path) -> Callable[[], int]:
    """A write whose busy timeout (0.05 s) is shorter than the other connection's lock."""

    def write() -> int:
        conn = sqlite3.connect(db_file, timeout=0.05, isolation_level=None)
        try:
            conn.execute("INSERT INTO t VALUES (1)")
        except sqlite3.OperationalError as exc:
            raise OperationalError(str(exc)) from exc  # as Django's backend re-raises it
        finally:
            conn.close()
        return 1

    return write


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "lock.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    return path


def test_a_write_that_finds_the_database_locked_is_retried(db_file: Path) -> None:
    holder = hold_write_lock(db_file, 0.3)
    assert retry_when_locked(locked_write(db_file), attempts=4, pause=0.2) == 1
    holder.join()


def test_without_the_retry_the_same_write_fails_locked(db_file: Path) -> None:
    holder = hold_write_lock(db_file, 0.3)
    with pytest.raises(OperationalError, match="locked"):
        locked_write(db_file)()
    holder.join()


def test_the_last_lock_timeout_propagates(db_file: Path) -> None:
    holder = hold_write_lock(db_file, 1.0)
    with pytest.raises(OperationalError, match="locked"):
        retry_when_locked(locked_write(db_file), attempts=2, pause=0.05)
    holder.join()


def test_other_database_errors_are_not_retried() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise OperationalError("no such table: t")

    with pytest.raises(OperationalError, match="no such table"):
        retry_when_locked(broken)
    assert calls == [1]


# The system check ---------------------------------------------------------------------


def sqlite_warnings(settings: Any, options: dict[str, Any], name: str = "/srv/shop.db") -> list:
    settings.DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": name, "OPTIONS": options}
    }
    return [w for w in check_sqlite() if w.id == "personalization.W030"]


def test_sqlite_without_immediate_and_wal_is_warned(settings: Any) -> None:
    (warning,) = sqlite_warnings(settings, {"timeout": 20})
    assert "transaction_mode" in warning.msg and "journal_mode=WAL" in warning.msg
    assert "database is locked" in warning.msg and "IMMEDIATE" in warning.hint


def test_sqlite_without_wal_alone_is_warned(settings: Any) -> None:
    (warning,) = sqlite_warnings(settings, {"transaction_mode": "immediate"})
    assert "journal_mode=WAL" in warning.msg and "transaction_mode" not in warning.msg


def test_the_demo_settings_pass_the_sqlite_check(settings: Any) -> None:
    from example_site.settings import SQLITE_OPTIONS

    assert sqlite_warnings(settings, SQLITE_OPTIONS) == []


def test_in_memory_sqlite_and_postgresql_are_not_warned(settings: Any) -> None:
    assert sqlite_warnings(settings, {}, name=":memory:") == []
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}
    assert check_sqlite() == []
