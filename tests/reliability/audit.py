"""Search every store the plugin writes to for traces of a shopper.

Used by the privacy audit: after an erasure, none of these may mention the shopper's
ids, in clear or in the hashed forms some stores use in key names.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import redis as redis_lib
from django.apps import apps
from django.db import models

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.serving.cache import subject_key
from personalization_plugin.tracking import ratelimit
from personalization_plugin.tracking.backends import get_local_backend
from personalization_plugin.tracking.backends.base import ERASED_TTL_SECONDS
from personalization_plugin.tracking.backends.redis_stream import ledger_name

PLUGIN_APPS = (
    "personalization",
    "personalization_experiments",
    "personalization_scores",
    "personalization_segments",
    "personalization_triggers",
    "personalization_saleor",
)
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def needles_for(visitor_id: str, customer_id: str) -> set[str]:
    """The ids themselves, their subject keys, and the hashed forms used in key names."""
    subjects = {f"v:{visitor_id}", f"c:{customer_id}"}
    hashed = {subject_key(s).rsplit(":", 1)[-1] for s in subjects}
    hashed |= {hashlib.blake2b(s.encode(), digest_size=12).hexdigest() for s in subjects}
    hashed |= {ratelimit.counter_name(s) for s in subjects}
    hashed |= {ledger_name(s) for s in [*subjects, visitor_id]}
    return {visitor_id, customer_id, *subjects, *hashed}


def is_tombstone(client: redis_lib.Redis, name: bytes) -> bool:
    """The erasure tombstone: a keyed hash that makes in-flight flushes drop the erased
    shopper's events, holds only a timestamp and expires within ERASED_TTL_SECONDS."""
    ttl = client.ttl(name)
    return b":erased:" in name and 0 < ttl <= ERASED_TTL_SECONDS


def plugin_models() -> list[type[models.Model]]:
    found: list[type[models.Model]] = []
    for config in apps.get_app_configs():
        if config.label in PLUGIN_APPS or config.name.startswith("personalization_plugin"):
            found.extend(config.get_models())
    return found


def database_traces(needles: set[str], allow: Any = None) -> list[str]:
    """Every (table, column) whose text/JSON value mentions a needle."""
    traces = []
    for model in plugin_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not fields:
            continue
        for row in model._default_manager.values_list("pk", *[f.attname for f in fields]):
            for field, value in zip(fields, row[1:], strict=True):
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                hits = [n for n in needles if n in text]
                if hits and not (allow and allow(model, row)):
                    traces.append(f"{model._meta.db_table}.{field.column} (pk {row[0]}): {hits}")
    return traces


def _redis_value(client: redis_lib.Redis, name: bytes) -> str:
    kind = client.type(name).decode()
    if kind == "string":
        value: Any = client.get(name)
    elif kind == "list":
        value = client.lrange(name, 0, -1)
    elif kind == "set":
        value = client.smembers(name)
    elif kind == "zset":
        value = client.zrange(name, 0, -1, withscores=True)
    elif kind == "hash":
        value = client.hgetall(name)
    elif kind == "stream":
        value = client.xrange(name, "-", "+")
    else:
        value = client.dump(name)
    return repr(value)


def redis_traces(client: redis_lib.Redis, needles: set[str]) -> list[str]:
    """Every key under the test prefix whose name or value mentions a needle."""
    traces = []
    for name in client.scan_iter(f"{plugin_settings.KEY_PREFIX}:*", count=1000):
        text = name.decode() + " " + _redis_value(client, name)
        hits = [n for n in needles if n in text]
        if hits and not is_tombstone(client, name):
            traces.append(f"redis {name.decode()}: {hits}")
    return traces


def _redis_elements(client: redis_lib.Redis, name: bytes) -> list[str]:
    """Each element of a key's value on its own (the string; list, set and zset members;
    hash fields and values; stream entry fields and values), decoded."""
    kind = client.type(name).decode()
    raw: list[Any]
    if kind == "string":
        raw = [client.get(name)]
    elif kind == "list":
        raw = client.lrange(name, 0, -1)
    elif kind == "set":
        raw = list(client.smembers(name))
    elif kind == "zset":
        raw = client.zrange(name, 0, -1)
    elif kind == "hash":
        raw = [x for pair in client.hgetall(name).items() for x in pair]
    elif kind == "stream":
        raw = [x for _, fields in client.xrange(name) for pair in fields.items() for x in pair]
    else:
        raw = [client.dump(name)]
    return [x.decode(errors="replace") if isinstance(x, bytes) else str(x) for x in raw]


def redis_traces_at_rest(
    client: redis_lib.Redis,
    needles: set[str],
    exact: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Every key under the prefix whose name or value mentions a needle in clear, while
    the shopper is still active, except the event stream: its entries are the events
    on their way to the database rows that need the ids, and erasure scrubs them.

    `exact` holds ids too short to search inside text (a customer pk such as "7"): an
    element of a value, or a part of a key name between colons, that equals one is a
    trace."""
    stream = f"{plugin_settings.KEY_PREFIX}:events"
    traces = []
    for name in client.scan_iter(f"{plugin_settings.KEY_PREFIX}:*", count=1000):
        if name.decode() == stream:
            continue
        elements = _redis_elements(client, name)
        text = name.decode() + " " + " ".join(elements)
        hits = [n for n in needles if n in text]
        hits += [n for n in exact if n in elements or n in name.decode().split(":")]
        if hits:
            traces.append(f"redis {name.decode()}: {hits}")
    return traces


def artifact_traces(needles: set[str]) -> list[str]:
    """Every model artifact array or manifest mentioning a needle."""
    traces = []
    for path in Path(plugin_settings.model_dir).rglob("*"):
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as arrays:
                for name in arrays.files:
                    array = arrays[name]
                    if array.dtype.kind not in "US":
                        continue
                    hits = [n for n in needles if np.isin(array.astype(str), [n]).any()]
                    joined = " ".join(array.astype(str).ravel().tolist())
                    hits += [n for n in needles if n in joined and n not in hits]
                    if hits:
                        traces.append(f"artifact {path}:{name}: {hits}")
        elif path.is_file():
            text = path.read_text(errors="replace")
            hits = [n for n in needles if n in text]
            if hits:
                traces.append(f"file {path}: {hits}")
    return traces


def buffer_traces(needles: set[str]) -> list[str]:
    local = get_local_backend()
    with local._lock:
        text = " ".join(e.to_json() for e in local._buffer)
    return [f"local buffer: {n}" for n in needles if n in text]


def log_traces(text: str, needles: set[str]) -> list[str]:
    return [f"logs: {n}" for n in needles if n in text]
