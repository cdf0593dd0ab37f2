"""The consent decision: what a shopper chose, read from their cookie and stored choices.

Below intake (tracking asks it before storing anything) and above the storage models.
Recording a new choice, which also erases on withdrawal, is `privacy.consent`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from django.http import HttpRequest

from personalization_plugin.core import subjects
from personalization_plugin.core.conf import plugin_settings

CONSENT_GRANTED = "granted"
CONSENT_DENIED = "denied"
CONSENT_UNKNOWN = "unknown"


class HasSubjects(Protocol):
    """Anything naming a shopper by subject keys (a `Visitor`, for one)."""

    @property
    def subjects(self) -> frozenset[str] | set[str]: ...


@dataclass(frozen=True)
class _Subjects:
    subjects: frozenset[str]


CHOICES = (CONSENT_GRANTED, CONSENT_DENIED)
# Server-side tracking (no request, so no cookie) reads stored choices. While the table
# is small it is held in memory whole and re-read every CACHE_SECONDS, so a bulk import
# costs one query per few seconds, not one per shopper; larger tables are queried per
# shopper with the same short cache. Changes made in this process apply at once.
CACHE_SECONDS = 5.0
SNAPSHOT_MAX_ROWS = 20_000
_lock = threading.Lock()
_cache: dict[str, tuple[str, float]] = {}
_snapshot: dict[str, str] | None = None
_snapshot_until = 0.0


def _snapshot_choices() -> dict[str, str] | None:
    """All stored choices when there are few enough of them, else None."""
    from personalization_plugin.models import PrivacyChoice

    global _snapshot, _snapshot_until
    now = time.monotonic()
    with _lock:
        if _snapshot_until > now:
            return _snapshot
    rows = list(PrivacyChoice.objects.values_list("subject", "consent")[: SNAPSHOT_MAX_ROWS + 1])
    snapshot = dict(rows) if len(rows) <= SNAPSHOT_MAX_ROWS else None
    with _lock:
        _snapshot, _snapshot_until = snapshot, now + CACHE_SECONDS
    return snapshot


def stored_consent(shopper: HasSubjects) -> str:
    """The PrivacyChoice recorded for the visitor or customer ("unknown" if none).

    A denial under any of the shopper's subjects wins.
    """
    from personalization_plugin.models import PrivacyChoice

    subjects = sorted(shopper.subjects)
    snapshot = _snapshot_choices()
    if snapshot is not None:
        values = {snapshot[s] for s in subjects if s in snapshot}
    else:
        cache_key = "|".join(subjects)
        now = time.monotonic()
        with _lock:
            hit = _cache.get(cache_key)
        if hit and hit[1] > now:
            return hit[0]
        values = set(
            PrivacyChoice.objects.filter(subject__in=subjects).values_list("consent", flat=True)
        )
    value = next((c for c in (CONSENT_DENIED, CONSENT_GRANTED) if c in values), CONSENT_UNKNOWN)
    if snapshot is None:
        with _lock:
            if len(_cache) > 50_000:
                _cache.clear()
            _cache[cache_key] = (value, now + CACHE_SECONDS)
    return value


def forget_cached_consent() -> None:
    global _snapshot_until
    with _lock:
        _cache.clear()
        _snapshot_until = 0.0


def consent_for(request: HttpRequest, customer_id: str = "") -> str:
    """The shopper's explicit choice for this request: stored customer choice, else cookie."""
    if customer_id:
        stored = stored_consent(_Subjects(frozenset({subjects.customer(customer_id)})))
        if stored != CONSENT_UNKNOWN:
            return stored
    cookie = request.COOKIES.get(plugin_settings.CONSENT_COOKIE, "")
    return cookie if cookie in CHOICES else CONSENT_UNKNOWN
