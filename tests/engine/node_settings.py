"""The test settings for one node process of `tests.engine.shared_node`: a SQLite file
or a PostgreSQL database both nodes open (SP_NODE_VENDOR), the shared `STORAGES["personalization"]` given as JSON, and this node's
own MODEL_DIR and MODEL_CACHE_DIR (no disk shared with the other node)."""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import PERSONALIZATION as _TEST
from tests.settings import STORAGES as _STORAGES

if os.environ.get("SP_NODE_VENDOR") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["SP_NODE_DB"],
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["SP_NODE_DB"],
            "OPTIONS": {"timeout": 20},  # as the demo store: writers wait for the lock
        }
    }
STORAGES = {**_STORAGES, "personalization": json.loads(os.environ["SP_NODE_STORAGE"])}
PERSONALIZATION = {
    **_TEST,
    "MODEL_DIR": os.path.join(os.environ["SP_NODE_HOME"], "models"),
    "MODEL_CACHE_DIR": os.path.join(os.environ["SP_NODE_HOME"], "cache"),
    "ADAPTER": "tests.engine.adapter.MemoryAdapter",
}
