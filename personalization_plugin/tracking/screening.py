"""Which requests are not tracked at all, whatever their consent: bots and forgotten ids.

`screen(request, visitor)` answers once per request (the verdict is kept on the request)
with the reason to drop its events, or None:

- "bot": the User-Agent is a crawler's or a headless browser's (`core.user_agents`).
  Crawlers are not shoppers; storing them would teach the model what crawlers "like".
- "erased": the visitor id was erased (forget-me, withdrawn consent) and a page, a tab or
  an attacker replays its old cookie and token. Forget-me drops the cookie, so a shopper
  who comes back gets a new id; only a replay carries the old one. Only visitor ids are
  screened: a signed-in customer who erased their data and later consents again is
  tracked anew under their account, as `ErasedShopper` promises.

The erased check is cheap: the backend's ledger of recent erasures (one Redis MGET,
shared by every process; in memory without Redis) and then the permanent record
(`core.registry.erased`, one indexed query) cached per process: "erased" for an hour,
"not erased" for NOT_ERASED_CACHE_SECONDS. Without Redis, an erasure done by another web
process is therefore seen here at most that many seconds late.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from personalization_plugin.core import registry
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.redis import REDIS_ERRORS, is_down, mark_down
from personalization_plugin.core.ttl_cache import ErasureAwareTTLCache, TTLCache
from personalization_plugin.core.user_agents import is_bot
from personalization_plugin.tracking import drops, erasure_generation
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.backends.base import ledger
from personalization_plugin.tracking.identity import Visitor

NOT_ERASED_CACHE_SECONDS = 30.0
_VERDICT_ATTR = "_personalization_screening"
_erased_cache: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=3600.0)
_kept_cache: TTLCache[str, bool] = ErasureAwareTTLCache(
    50_000, NOT_ERASED_CACHE_SECONDS, erasure_generation.current
)


def screen(request: HttpRequest, visitor: Visitor) -> str | None:
    """The reason not to track this request ("bot", "erased"), or None to go on."""
    cached: Any = getattr(request, _VERDICT_ATTR, False)
    if cached is not False and cached[0] == visitor.visitor_id:
        return cached[1]
    verdict: str | None = None
    if is_bot(request.META.get("HTTP_USER_AGENT", "") or ""):
        verdict = drops.BOT
    elif not visitor.is_new and is_forgotten(visitor.visitor_id):
        verdict = drops.ERASED
    setattr(request, _VERDICT_ATTR, (visitor.visitor_id, verdict))
    return verdict


def is_forgotten(visitor_id: str) -> bool:
    """Whether this visitor id was erased (see the module docstring for the cost)."""
    if _erased_cache.get(visitor_id):
        return True
    if _kept_cache.get(visitor_id):
        return _recently_erased(visitor_id)
    subject = subject_keys.visitor(visitor_id)
    erased = _recently_erased(visitor_id) or subject in registry.erased({subject})
    (_erased_cache if erased else _kept_cache).set(visitor_id, True)
    return erased


def _recently_erased(visitor_id: str) -> bool:
    """The backend's ledger of the last hour's erasures (shared through Redis).

    While Redis is marked down only this process's part is read, so a hung Redis costs
    the intake no timeout here; the permanent record still answers."""
    subjects = {subject_keys.visitor(visitor_id)}
    backend = get_backend()
    url = getattr(backend, "url", None)
    if url and is_down(url):
        return bool(ledger.erased(subjects))
    try:
        return bool(backend.erased_subjects(subjects))
    except REDIS_ERRORS as exc:
        if url:
            mark_down(exc, url)
        return bool(ledger.erased(subjects))


def forget_cached() -> None:
    """Drop the per-process verdict caches (tests; after restoring an erased shopper)."""
    _erased_cache.clear()
    _kept_cache.clear()
