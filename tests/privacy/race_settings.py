"""The test settings on a database processes can share, for `erasure_race`."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

if os.environ["SP_RACE_VENDOR"] == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["SP_RACE_DB"],
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["SP_RACE_DB"],
            "OPTIONS": {"timeout": 20},  # as the demo store: writers wait for the lock
        }
    }
