"""Test settings: the demo store's settings with a test database and a real Redis.

PERSONALIZATION_TEST_DB=postgres runs the suite against the local PostgreSQL server.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "example_site"))

from example_site.settings import *  # noqa: E402,F403
from example_site.settings import INSTALLED_APPS as _DEMO_APPS  # noqa: E402
from example_site.settings import PERSONALIZATION as _DEMO  # noqa: E402
from example_site.settings import SQLITE_OPTIONS  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
# Unique per test process, so concurrent runs on one machine never share Redis keys or model files.
RUN_ID = f"{WORKER}-{os.getpid()}"

if os.environ.get("PERSONALIZATION_TEST_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "sp_test",
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "TEST": {"NAME": f"sp_test_{RUN_ID}".replace("-", "_")},
        }
    }
else:
    # The demo's SQLite options (IMMEDIATE transactions, busy timeout; WAL is a no-op
    # in memory), so the suite runs SQLite as stores are told to configure it.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
PERSONALIZATION = {
    **_DEMO,
    "REDIS_URL": None,  # the embedded backend by default; Redis tests opt in via fixtures
    "KEY_PREFIX": f"sptest-{RUN_ID}",
    "MODEL_DIR": os.path.join(tempfile.gettempdir(), f"sp-test-models-{RUN_ID}"),
    # No background flush thread in tests: its own DB connection would write outside the
    # test's transaction. Tests flush explicitly with get_backend().flush().
    "FLUSH_INTERVAL": 0,
}
STATICFILES_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Platforms: the Saleor integration's webhook/catalog models, for tests/integrations.
INSTALLED_APPS = [*_DEMO_APPS, "personalization_plugin.integrations.saleor"]
