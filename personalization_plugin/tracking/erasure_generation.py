"""The erasure generation: one value every process can read, moved by each erasure.

Per-process caches of per-shopper data (`core.ttl_cache.ErasureAwareTTLCache`: history,
cached lists, segment profiles, the intake's "not erased" verdicts, muted categories,
purchases) compare it on every read, so an erasure in one process is honoured by every
other process at once, not when their entries expire.

With Redis it is a counter (`<prefix>:erasure_generation`, INCR at the end of each
erasure, one GET per read). Without Redis, or while Redis is marked down, it is a small
file in MODEL_DIR that each erasure replaces (one `stat` per read, no database query on
a storefront's hot path): every process of one machine sees it, which is the setup the
embedded backend supports (check W004 warns about several processes without Redis).
Erasure moves it once everything is deleted, so the value moves after the data is gone.
The value names its source, so switching between the two only empties the caches once
more.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.utils import timezone

from personalization_plugin.core import request_scope
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.redis import REDIS_ERRORS, get_redis, is_down, key, mark_down

NAME = "erasure_generation"


def current() -> str:
    """The generation now (cheap; never raises: an unreadable source reads as "?",
    which empties the caches rather than trusting them). Read once per request
    (`core.request_scope`): a partial's several lists do not each ask Redis."""
    return request_scope.memo(NAME, _read)


def _read() -> str:
    url = plugin_settings.REDIS_URL
    if url and not is_down(url):
        try:
            value = get_redis(url).get(key(NAME))
        except REDIS_ERRORS as exc:
            mark_down(exc, url)
        else:
            text = value.decode() if isinstance(value, bytes) else str(value or "0")
            return "r" + text
    return _from_file()


FILE_NAME = ".erasure-generation"


def _file() -> Path:
    return Path(plugin_settings.model_dir) / FILE_NAME


def _from_file() -> str:
    try:
        found = os.stat(_file())
    except FileNotFoundError:
        return "f0"
    except OSError:
        return f"?{timezone.now().timestamp()}"  # unreadable: trust no cache
    return f"f{found.st_ino}:{found.st_mtime_ns}:{found.st_size}"


def _move_file() -> None:
    """Replace the generation file (a new inode: every `stat` sees the change)."""
    path = _file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{FILE_NAME}.{uuid.uuid4().hex}")
    temporary.write_text(uuid.uuid4().hex)
    os.replace(temporary, path)


def advance(digests: list[str]) -> None:
    """Move the generation after an erasure has deleted everything (the ledger rows of
    `digests` get a fresh `erased_at`; the Redis counter, when configured, goes up).
    Raises REDIS_ERRORS when Redis is configured and unreachable."""
    from personalization_plugin.models import ErasedShopper

    request_scope.forget()  # this request reads everything afresh from here on
    ErasedShopper.objects.filter(digest__in=digests).update(erased_at=timezone.now())
    _move_file()
    if plugin_settings.REDIS_URL:
        get_redis(plugin_settings.REDIS_URL).incr(key(NAME))
