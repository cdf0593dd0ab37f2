"""The test settings on a SQLite file (shared by processes), for `erasure_race`."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["SP_RACE_SQLITE"],
        "OPTIONS": {"timeout": 20},  # as the demo store: writers wait for the lock
    }
}
