"""`rerank()`: the store's own list (a category page, search hits) in a shopper's order.

The store decides *what* is on the page; re-ranking only decides the order. Each
candidate's score is a blend of

- the store's order, or the text relevance the caller passes (the prior, 0..1);
- the shopper's model score: their score in the personal list `for_you` is served from
  (`fallbacks.personal`, the same cached list, so no second scoring pass);
- real-time intent: products viewed with the shopper's newest recent items, bought with
  what is in their cart, and the recently viewed products themselves (row lookups in
  the model's co-view and co-buy tables, never a pass over the catalog);
- the owner's merchandising: exclusions leave the list, boosts and buries shift the
  score, pins keep their slots.

A shopper who may not be personalized (no consent, opted out), or with no history, or
a store with no trained model gets the store's order unchanged, plus merchandising.

Stable pagination: the shopper's intent (recent items, cart and personal list) is
snapshotted per shopper and `context` for STABLE_SECONDS, in Redis when configured
(one GET per warm request, under the shopper's hashed cache prefix, so erasure deletes
it with their cached lists) or in an erasure-aware per-process cache. Everything else is a deterministic function of
the inputs (ties go to the store's order), so page 1 and page 2 of a listing agree
for that long even when the shopper views a product in between.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from django.utils.translation import gettext_lazy as _

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core import registry
from personalization_plugin.core.exceptions import InvalidRecommendationRequest
from personalization_plugin.core.placements import Placement
from personalization_plugin.core.redis import REDIS_ERRORS, available, mark_down
from personalization_plugin.core.ttl_cache import ErasureAwareTTLCache, TTLCache
from personalization_plugin.engine.base import ServingModel
from personalization_plugin.serving import cache, catalog, fallbacks, reasons, rules
from personalization_plugin.serving import realtime as realtime_reads
from personalization_plugin.serving.fallbacks import ServingRequest
from personalization_plugin.serving.placements import _active_model, _personal_subject
from personalization_plugin.serving.realtime import RECENT_ITEMS
from personalization_plugin.tracking import erasure_generation
from personalization_plugin.tracking.identity import Visitor

logger = logging.getLogger("personalization_plugin.serving")

MAX_CANDIDATES = 1_000  # longer lists are refused: page through the store's results instead
MAX_ID_LENGTH = 255
MAX_CONTEXT_LENGTH = 100
STABLE_SECONDS = 600  # how long a shopper's order of one listing stays the same
PERSONAL_DEPTH = 200  # how far down the shopper's personal list candidates are looked up
INTENT_ANCHORS = 5  # newest recent items whose co-viewed products count as intent
INTENT_ROW = 50  # co-viewed / co-bought products read per anchor
INTENT_DECAY = 0.7  # each older recent item counts this much less
# The prior runs 1 (the store's first) to 0 (its last): the shopper's strongest signal
# (their model favourite, what goes with their cart) can lift a product from anywhere in
# the list to the top; weaker ones move it part of the way.
W_MODEL = 1.0
W_VIEWED_WITH = 0.8
W_BOUGHT_WITH = 1.0
W_RECENTLY_VIEWED = 0.5

# Why an item moved: the codes, best explained first when several terms lifted it.
MOVED_CODES = ("pinned", "boosted", "viewed", "viewed_with", "bought_with", "recently_viewed")
DISPLACED = "displaced"  # moved down: others were lifted above it
BURIED = "buried"
MOVED_DOWN = _("Other products matched your interests more closely")


@dataclass(frozen=True)
class Moved:
    """One product whose position changed: 1-based positions in the list after the
    owner's exclusions left it (`before`) and in the result (`after`)."""

    product_id: str
    before: int
    after: int
    reason_code: str
    reason: str


@dataclass(frozen=True, eq=False)
class Reranked:
    """What `rerank()` returns: the ids in their new order and why each one moved.

    `moved` is worked out on first access (in the language active then): a template
    that only needs the order never pays for 500 reasons."""

    ids: list[str]
    excluded: list[str] = field(default_factory=list)  # left by the owner's exclusions
    personalized: bool = False  # whether the shopper's history shaped the order
    model_version: str = ""
    why: Callable[[], dict[str, Moved]] | None = field(default=None, repr=False)

    @cached_property
    def moved(self) -> dict[str, Moved]:
        """Product id -> how it moved and why, for every product whose position changed."""
        return self.why() if self.why is not None else {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reranked):
            return NotImplemented
        mine = (self.ids, self.excluded, self.personalized, self.model_version, self.moved)
        return mine == (
            other.ids,
            other.excluded,
            other.personalized,
            other.model_version,
            other.moved,
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def reasons(self) -> dict[str, str]:
        """Product id -> the readable reason, for every moved product."""
        return {pid: m.reason for pid, m in self.moved.items()}


@dataclass
class _Terms:
    """Per candidate: what each source added, and the shopper's product behind it."""

    n: int
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    anchors: dict[str, dict[int, str]] = field(default_factory=dict)

    def add(self, code: str, index: int, value: float, anchor: str = "") -> None:
        part = self.parts.setdefault(code, np.zeros(self.n))
        if value > part[index]:
            part[index] = value
            if anchor:
                self.anchors.setdefault(code, {})[index] = anchor

    def total(self) -> np.ndarray:
        out = np.zeros(self.n)
        for part in self.parts.values():
            out += part
        return out


def rerank(
    candidates: Sequence[str],
    visitor: Visitor | None,
    context: str | None = None,
    *,
    relevance: Sequence[float] | None = None,
) -> Reranked:
    """The candidates in this shopper's order.

    Args:
        candidates: product ids (strings) in the store's order, at most MAX_CANDIDATES.
            Ids the catalog does not know keep their position.
        visitor: the shopper; their history is used only when `visitor.can_personalize`.
        context: where the list is shown: "category:<id>" (merchandising rules for the
            "category_top" placement apply, as well as store-wide ones), "search" or any
            short label; it also keys the per-shopper snapshot, so each listing is stable.
        relevance: optional text relevance per candidate (search scores), used as the
            prior instead of the store's order.

    Raises:
        InvalidRecommendationRequest: too many candidates, a non-string, empty, overlong
            or repeated id, a malformed context, or relevance not one finite number per
            candidate.
    """
    ids = _checked_ids(candidates)
    label = _checked_context(context)
    prior = _prior(ids, relevance)
    infos = catalog.get_products(ids) if ids else {}
    live = rules.for_shopper(
        rules.live_rules(_placement(label)), lambda: registry.segments_of(visitor)
    )
    filters = rules.Filters(_placement(label) or "rerank", rules=live)
    excluded: list[str] = []
    if filters.exclude_products or filters.exclude_categories:
        gone = _excluded(filters, ids, infos)
        excluded = [pid for pid, out in zip(ids, gone, strict=True) if out]
        prior = prior[[k for k, out in enumerate(gone) if not out]]
        ids = [pid for pid, out in zip(ids, gone, strict=True) if not out]

    subject = _personal_subject(visitor)
    model = _active_model() if subject else None
    terms = _Terms(len(ids))
    if subject and model is not None and ids:
        _personal_terms(terms, model, _snapshot(subject, label, model), ids)
    adjusted = rules.adjust_relevance(prior, [infos.get(p) or _UNKNOWN for p in ids], live)
    shifted = adjusted - prior
    personalized = bool(terms.parts) and bool(terms.total().any())
    if personalized or shifted.any():
        score = (adjusted + terms.total()).tolist()
        known = [k for k, pid in enumerate(ids) if pid in infos]
        ranked = sorted(known, key=lambda k: (-score[k], k))
    else:
        ranked = [k for k, pid in enumerate(ids) if pid in infos]
    order = _place(ids, infos, ranked, live)
    return Reranked(
        ids=[ids[k] for k in order],
        why=lambda: _explain(ids, order, terms, shifted, infos, live),
        excluded=excluded,
        personalized=personalized,
        model_version=str(model.version) if personalized and model is not None else "",
    )


_UNKNOWN = ProductInfo(id="", title="", price=None, category_ids=())


def _checked_ids(candidates: Sequence[str]) -> list[str]:
    if isinstance(candidates, str | bytes) or not isinstance(candidates, Sequence):
        raise InvalidRecommendationRequest(
            "candidates must be a list of product ids (strings), e.g. [str(p.pk) for p in page]."
        )
    if len(candidates) > MAX_CANDIDATES:
        raise InvalidRecommendationRequest(
            f"Re-ranking takes at most {MAX_CANDIDATES} candidates, got {len(candidates)}; "
            "pass the store's first results (or one page) instead."
        )
    seen: set[str] = set()
    for k, pid in enumerate(candidates):
        if not isinstance(pid, str):
            raise InvalidRecommendationRequest(
                f"Candidate {k} is a {type(pid).__name__}; product ids must be strings "
                "(use str(product.pk))."
            )
        if not pid or len(pid) > MAX_ID_LENGTH:
            raise InvalidRecommendationRequest(
                f"Candidate {k} is empty or longer than {MAX_ID_LENGTH} characters."
            )
        if pid in seen:
            raise InvalidRecommendationRequest(
                f"Product {pid[:40]!r} is listed twice; pass each candidate once."
            )
        seen.add(pid)
    return list(candidates)


def _checked_context(context: str | None) -> str:
    if context is None:
        return ""
    if not isinstance(context, str) or len(context) > MAX_CONTEXT_LENGTH:
        raise InvalidRecommendationRequest(
            f"context must be a short string (at most {MAX_CONTEXT_LENGTH} characters) "
            "such as 'category:42' or 'search'."
        )
    return context.strip()


def _placement(context: str) -> str:
    """Whose merchandising rules apply: a category page's are "category_top"'s; any
    other listing gets the store-wide rules only ("" matches rules for every placement)."""
    return str(Placement.CATEGORY_TOP) if context.startswith("category") else ""


def _prior(ids: Sequence[str], relevance: Sequence[float] | None) -> np.ndarray:
    """The store's opinion as 0..1: text relevance scaled min-max, else 1 - rank / n."""
    n = len(ids)
    if relevance is None:
        return 1.0 - np.arange(n, dtype=float) / max(n, 1)
    if isinstance(relevance, str | bytes) or len(relevance) != n:
        raise InvalidRecommendationRequest(
            f"relevance must hold one number per candidate ({n}), in the same order."
        )
    try:
        values = np.array([float(v) for v in relevance], dtype=float)
    except (TypeError, ValueError):
        raise InvalidRecommendationRequest("relevance must hold numbers only.") from None
    if not np.isfinite(values).all():
        raise InvalidRecommendationRequest("relevance must hold finite numbers only.")
    lo, hi = (values.min(), values.max()) if n else (0.0, 0.0)
    return (values - lo) / (hi - lo) if hi > lo else np.ones(n)


def _excluded(
    filters: rules.Filters, ids: Sequence[str], infos: dict[str, ProductInfo]
) -> list[bool]:
    """Per id, whether the owner's exclude rules remove it. Products of a listing share
    a few category tuples, so each tuple is checked once."""
    products, categories = filters.exclude_products, filters.exclude_categories
    by_categories: dict[tuple[str, ...], bool] = {}
    out = []
    for pid in ids:
        info = infos.get(pid)
        if pid in products:
            out.append(True)
        elif info is None or not categories:
            out.append(False)
        else:
            cats = tuple(info.category_ids)
            if cats not in by_categories:
                by_categories[cats] = not categories.isdisjoint(cats)
            out.append(by_categories[cats])
    return out


# -- the shopper's intent, snapshotted for stable pagination -------------------------------


@dataclass(frozen=True)
class _Intent:
    """What a shopper's listing is ranked on, frozen for STABLE_SECONDS: their recent
    items (newest first), cart lines and the model's personal list (id, score)."""

    recent: tuple[str, ...]
    cart: tuple[str, ...]
    personal: tuple[tuple[str, float], ...]

    def to_json(self) -> str:
        return json.dumps([self.recent, self.cart, self.personal], separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> _Intent:
        recent, cart, personal = json.loads(raw)
        return cls(
            tuple(str(p) for p in recent),
            tuple(str(p) for p in cart),
            tuple((str(p), float(s)) for p, s in personal),
        )


_snapshots: TTLCache[tuple[str, str], _Intent] = ErasureAwareTTLCache(
    10_000, float(STABLE_SECONDS), erasure_generation.current
)


def _snapshot_key(subject: str, context: str) -> str:
    digest = hashlib.blake2b(context.encode(), digest_size=8).hexdigest()
    return f"{cache.subject_key(subject)}:rerank:{digest}"


def _snapshot(subject: str, context: str, model: ServingModel) -> _Intent:
    """The shopper's intent as of their first re-ranked list in this context within
    STABLE_SECONDS (one Redis GET when warm); read live, and stored, on a miss. The
    personal list is frozen with it, so a model trained mid-visit does not reshuffle
    page 2 either."""
    client = available()
    if client is not None:
        key = _snapshot_key(subject, context)
        try:
            raw = client.get(key)
            if raw is not None:
                return _Intent.from_json(raw)
            intent = _live_intent(subject, model)
            # First writer wins: two pages of one listing loading at once (two web
            # processes) both end up with the snapshot that was stored first.
            if client.set(key, intent.to_json(), ex=STABLE_SECONDS, nx=True):
                return intent
            stored = client.get(key)
            return _Intent.from_json(stored) if stored is not None else intent
        except REDIS_ERRORS as exc:
            mark_down(exc)
        except (ValueError, TypeError):
            logger.warning("Ignoring a malformed re-ranking snapshot.")
    local = _snapshots.get((subject, context))
    if local is not None:
        return local
    intent = _live_intent(subject, model)
    _snapshots.set((subject, context), intent)
    return intent


def _live_intent(subject: str, model: ServingModel) -> _Intent:
    """Read now: recent items and cart from the real-time store, and the personal list
    `for_you` is served from (`fallbacks.personal`, through its cache)."""
    recent = cache.recent_for(subject, RECENT_ITEMS)
    cart = realtime_reads.cart(subject)[:INTENT_ANCHORS]
    req = ServingRequest(Placement.FOR_YOU, PERSONAL_DEPTH, model, subject, recent=recent)
    personal = fallbacks.personal(req, PERSONAL_DEPTH, ())
    return _Intent(
        tuple(recent),
        tuple(cart),
        tuple((c.product_id, c.score) for c in personal if math.isfinite(c.score)),
    )


def clear() -> None:
    _snapshots.clear()


def _personal_terms(terms: _Terms, model: ServingModel, intent: _Intent, ids: list[str]) -> None:
    """Fill `terms` from the shopper's personal list and the co-view / co-buy rows of
    their recent items and cart; touches only the candidates' positions."""
    index = {pid: k for k, pid in enumerate(ids)}
    # As a share of the shopper's best score: a product far behind their favourite
    # counts little, however high its rank in a thin list.
    top = max((score for _, score in intent.personal), default=0.0)
    for pid, score in intent.personal if top > 0 else ():
        if pid in index and score > 0:
            terms.add("viewed", index[pid], W_MODEL * score / top)
    for age, anchor in enumerate(intent.recent):
        weight = INTENT_DECAY**age
        if anchor in index:
            terms.add("recently_viewed", index[anchor], W_RECENTLY_VIEWED * weight)
        if age < INTENT_ANCHORS:
            row = _row(model.viewed_together, anchor)
            _add_row(terms, "viewed_with", row, index, W_VIEWED_WITH * weight, anchor)
    for anchor in intent.cart:
        _add_row(
            terms, "bought_with", _row(model.bought_together, anchor), index, W_BOUGHT_WITH, anchor
        )


def _row(lookup: Callable[..., list[tuple[str, float]]], anchor: str) -> list[tuple[str, float]]:
    try:
        return list(lookup([anchor], n=INTENT_ROW))
    except Exception:  # a broken model must never break a listing
        logger.exception("Model lookup failed while re-ranking; skipping that signal")
        return []


def _add_row(
    terms: _Terms,
    code: str,
    row: list[tuple[str, float]],
    index: dict[str, int],
    weight: float,
    anchor: str,
) -> None:
    top = max((s for _, s in row if math.isfinite(s)), default=0.0)
    if top <= 0:
        return
    for pid, s in row:
        if pid in index and math.isfinite(s) and s > 0:
            terms.add(code, index[pid], weight * s / top, anchor)


# -- placing and explaining ---------------------------------------------------------------


def _place(
    ids: list[str], infos: dict[str, ProductInfo], ranked: list[int], live: Sequence[rules.Rule]
) -> list[int]:
    """Final positions: unknown ids stay where they were, pinned products take their
    slot (the first rule wins a contested one), the rest fill free slots by score."""
    slots: list[int | None] = [None] * len(ids)
    for k, pid in enumerate(ids):
        if pid not in infos:
            slots[k] = k
    index = {pid: k for k, pid in enumerate(ids)}
    known = set(ranked)
    pinned: set[int] = set()
    for pin in sorted(rules.pins(live), key=lambda r: (r.position, r.id)):
        at = index.get(pin.target_id)
        if at is None or at in pinned or at not in known:
            continue
        free = next((s for s in range(pin.position - 1, len(ids)) if slots[s] is None), None)
        if free is None:
            continue
        slots[free] = at
        pinned.add(at)
    rest = iter(k for k in ranked if k not in pinned)
    return [taken if taken is not None else next(rest) for taken in slots]


def _explain(
    ids: list[str],
    order: list[int],
    terms: _Terms,
    shifted: np.ndarray,
    infos: dict[str, ProductInfo],
    live: Sequence[rules.Rule],
) -> dict[str, Moved]:
    pins = {r.target_id for r in rules.pins(live)}
    sensitive = reasons.sensitive_categories()
    anchors = catalog.get_products(a for by in terms.anchors.values() for a in by.values())
    # Python lists, not numpy indexing per item: most of a 500-item list moves a little.
    parts = [(code, part.tolist()) for code, part in terms.parts.items()]
    shift = shifted.tolist()
    texts: dict[tuple[str, str], str] = {}  # one translation per reason, not per item
    moved: dict[str, Moved] = {}
    for after, k in enumerate(order):
        if after == k:
            continue
        pid = ids[k]
        lifts = {code: values[k] for code, values in parts if values[k] > 0}
        if shift[k] > 0:
            lifts["boosted"] = shift[k]
        if pid in pins:
            code = "pinned"
        elif after < k and lifts:
            code = max(lifts, key=lambda c: (lifts[c], -MOVED_CODES.index(c)))
        else:
            code = BURIED if shift[k] < 0 else DISPLACED
        anchor_id = terms.anchors.get(code, {}).get(k, "")
        if (code, anchor_id) not in texts:
            anchor = anchors.get(anchor_id)
            if anchor is not None and reasons.is_sensitive(anchor, sensitive):
                anchor = None
            texts[(code, anchor_id)] = _reason(code, infos[pid], anchor)
        moved[pid] = Moved(pid, k + 1, after + 1, code, texts[(code, anchor_id)])
    return moved


def _reason(code: str, info: ProductInfo, anchor: ProductInfo | None) -> str:
    """The sentence for a code; it names at most the anchor, never `info` itself, so
    one sentence serves every item with the same code and anchor."""
    if code in ("pinned", "boosted"):
        return str(reasons.GENERIC["pinned"])
    if code in (DISPLACED, BURIED):
        return str(MOVED_DOWN)
    return reasons.explain(code, info, anchor=anchor)
