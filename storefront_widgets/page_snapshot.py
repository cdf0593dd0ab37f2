"""One page view's lists, agreed once: the lazy partials of a page never disagree.

The partials of one page load in parallel, and each recomputes the widgets above it to
step around their products. Recomputing alone is not enough: trending (or a list)
can change between two partials' requests, and then a lower widget would exclude a
list the upper one no longer shows, and repeat its products. So each widget's list, for
one page view, is fixed by whichever request computes it first: it is written to Redis
with SET NX (atomic, first writer wins) under a short-lived key, and every other partial
of the page reads that list instead of its own recomputation. The widget itself renders
the agreed list too, so "what the page shows" and "what a partial excludes" are the same
ids, whatever the timing.

The page id is made in the browser once per page load (the placeholder's `hx-headers`),
so the page around the placeholders stays the same for every visitor and cacheable.
Agreement needs one store all partials see: Redis when configured (SET NX), otherwise
Django's default cache (`add`).
The page id is 128 random bits made by that browser for that page load and sent only to
this store, so it is the page view's own secret: two visitors never share one (even on a
shared cached page), and nobody can read a page view's lists without it. It is not the
visitor's id (the cookie may arrive only with the second partial of a first visit, so
keying by visitor would split a first page view in two). The key is a keyed hash
(`core.subjects.digest`) of the page id, the language, and the widget's question and
exclusions; the value holds product ids and reasons only, never who asked. Without a page id (no JavaScript, an old cached page) the partial
recomputes as before (`page.above_exclusions`); with Redis down, the list is computed
afresh (never an error).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import get_language

from personalization_plugin.core import subjects
from personalization_plugin.core.exceptions import InvalidWidgetParameter
from personalization_plugin.core.redis import REDIS_ERRORS, available, key, mark_down
from storefront_widgets.params import WidgetParams

logger = logging.getLogger("storefront_widgets")

HEADER = "HTTP_X_SP_PAGE"  # a header, not a query parameter: "page" means pagination
TTL_SECONDS = 120  # long enough for every lazy widget of a page to scroll into view
PAGE_ID = re.compile(r"[0-9a-f]{32}")


def page_id(request: HttpRequest | None) -> str:
    """The page view's id from the X-SP-Page header, "" when there is none.

    Raises InvalidWidgetParameter for a malformed one (32 lowercase hex digits)."""
    if request is None:
        return ""
    raw = request.META.get(HEADER) or ""
    text = str(raw).strip()
    if not text:
        return ""
    if not PAGE_ID.fullmatch(text):
        raise InvalidWidgetParameter(
            "The X-SP-Page header (the page view's id) must be 32 lowercase hex digits."
        )
    return text


def _key(page: str, params: WidgetParams) -> str:
    question = "|".join([page, get_language() or "", params.spec(), ",".join(params.exclude)])
    return key("page", subjects.digest(question, purpose="page-lists", length=32))


class _Store(Protocol):
    def get(self, name: str) -> Any: ...
    def add(self, name: str, value: str) -> bool: ...


class _Redis:
    """The plugin's Redis: SET NX is atomic across every process of the store."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, name: str) -> Any:
        return self.client.get(name)

    def add(self, name: str, value: str) -> bool:
        return bool(self.client.set(name, value, nx=True, ex=TTL_SECONDS))


class _DjangoCache:
    """Without Redis (the embedded backend): Django's default cache, whose `add` is
    atomic within what that backend shares (one process for the local-memory cache)."""

    def get(self, name: str) -> Any:
        return cache.get(name)

    def add(self, name: str, value: str) -> bool:
        return bool(cache.add(name, value, TTL_SECONDS))


def _store() -> _Store:
    client = available()
    return _Redis(client) if client is not None else _DjangoCache()


def agreed(page: str, params: WidgetParams, compute: Callable[[], Any]) -> Any:
    """This widget's list for the page view: the one already agreed on, else `compute()`'s
    (which then becomes the agreed one, unless another request was quicker)."""
    if not page:
        return compute()
    store = _store()
    name = _key(page, params)
    try:
        stored = store.get(name)
        if stored is not None:
            return _decode(stored, params)
        recs = compute()
        if not _storable(recs):
            return recs
        if store.add(name, _encode(recs)):
            return recs
        stored = store.get(name)  # another partial of this page was quicker: use its list
        return recs if stored is None else _decode(stored, params)
    except REDIS_ERRORS as exc:
        mark_down(exc)
        return compute()


def claim(page: str, params: WidgetParams, listed: str) -> str | None:
    """Make `listed` (an `encode`d list a cached fragment shows) this widget's agreed list
    for the page view. None when it now is (or nothing can be agreed: Redis down), else
    the list another partial of the page agreed first, which the widget must show."""
    store = _store()
    name = _key(page, params)
    try:
        if store.add(name, listed):
            return None
        stored = store.get(name)
    except REDIS_ERRORS as exc:
        mark_down(exc)
        return None
    if stored is None:
        return None
    text = stored.decode() if isinstance(stored, bytes) else str(stored)
    return None if text == listed else text


def encode(recs: Any) -> str | None:
    """The list as the page view stores it; None for what is not a RecommendationList."""
    return _encode(recs) if _storable(recs) else None


def _storable(recs: Any) -> bool:
    from personalization_plugin.serving.types import RecommendationList

    return isinstance(recs, RecommendationList)


def _encode(recs: Any) -> str:
    return json.dumps(
        {
            "placement": recs.placement,
            "model_version": recs.model_version,
            "recommendation_id": recs.recommendation_id,
            "source": recs.source,
            "explanation": recs.explanation,
            "items": [
                [item.product.id, item.score, item.reason, item.reason_code] for item in recs.items
            ],
        }
    )


def decode(raw: bytes | str, params: WidgetParams) -> Any:
    """A list as `encode` wrote it, its products read afresh from the catalog."""
    return _decode(raw, params)


def _decode(raw: bytes | str, params: WidgetParams) -> Any:
    """The agreed list, its products read afresh from the catalog (a product gone out
    of stock since is dropped, never shown)."""
    from personalization_plugin.serving import catalog
    from personalization_plugin.serving.types import Recommendation, RecommendationList

    data = json.loads(raw)
    rows = data["items"]
    infos = catalog.get_products(str(row[0]) for row in rows)
    items: list[Recommendation] = []
    for pid, score, reason, code in rows:
        info = infos.get(str(pid))
        if info is not None and info.available:
            items.append(Recommendation(info, float(score), reason, code, len(items) + 1))
    return RecommendationList(
        placement=data.get("placement") or params.placement,
        model_version=data.get("model_version", ""),
        recommendation_id=data.get("recommendation_id", ""),
        items=items,
        source=data.get("source", "") if items else "",
        explanation=data.get("explanation", "") if items else "",
    )
