"""Serving-time rules: what may be shown, and the owner's merchandising.

Hard filters (`Filters.allows`): unpublished and out-of-stock products, the cart, past
purchases (unless the category is in REPURCHASABLE_CATEGORIES), the owner's exclude
rules, the categories the shopper muted, and the caller's price band and category. Then the owner's soft rules: boost and
bury shift a product's relevance, pins put a product at a fixed position.

Rules are read from the database at most once every RULES_REFRESH_SECONDS per process
(and at once after a rule is saved in this process); their date ranges are checked on
every request, so a campaign starts and ends on time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.db import DatabaseError
from django.utils import timezone

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import InvalidRecommendationRequest
from personalization_plugin.core.reloading import Reloaded
from personalization_plugin.models import MerchandisingRule

logger = logging.getLogger("personalization_plugin.serving")

RULES_REFRESH_SECONDS = 5.0
# Relevance runs from 1 (best candidate) down to 0; a boost of strength 1 adds this much.
BOOST_STEP = 0.3


@dataclass(frozen=True)
class Rule:
    """A plain, immutable copy of a MerchandisingRule (safe to share across threads)."""

    id: int
    action: str
    target_type: str
    target_id: str
    placement: str
    position: int
    strength: float
    starts_at: datetime | None
    ends_at: datetime | None
    segment: str = ""  # a segment slug: the rule applies only to its members

    def is_live(self, now: datetime) -> bool:
        if self.starts_at and now < self.starts_at:
            return False
        return not (self.ends_at and now >= self.ends_at)

    def applies_to(self, placement: str) -> bool:
        return not self.placement or self.placement == placement

    def matches(self, info: ProductInfo) -> bool:
        if self.target_type == MerchandisingRule.Target.PRODUCT:
            return info.id == self.target_id
        return self.target_id in info.category_ids


def _load() -> tuple[Rule, ...]:
    rows = MerchandisingRule.objects.filter(enabled=True).order_by("position", "id")
    return tuple(
        Rule(
            id=r.pk,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            placement=r.placement,
            position=max(1, int(r.position or 1)),
            strength=float(r.strength),
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            segment=r.segment,
        )
        for r in rows
    )


_rules: Reloaded[tuple[Rule, ...]] = Reloaded(
    _load,
    seconds=RULES_REFRESH_SECONDS,
    empty=(),
    what="merchandising rules",
    errors=(DatabaseError,),
    logger=logger,
)


def all_rules() -> tuple[Rule, ...]:
    """Enabled rules, re-read every RULES_REFRESH_SECONDS (and when one is saved)."""
    return _rules.get()


# The admin's preview: an unsaved rule served as if saved (replacing the saved version of
# the rule being edited), for this context only; never set on a storefront request.
_draft: ContextVar[tuple[Rule | None, int | None]] = ContextVar(
    "personalization_draft_rule", default=(None, None)
)


@contextmanager
def previewing(rule: Rule | None, replaces: int | None = None) -> Iterator[None]:
    """Serve as if `rule` were saved (and the saved rule `replaces` were not), inside."""
    token = _draft.set((rule, replaces))
    try:
        yield
    finally:
        _draft.reset(token)


def live_rules(placement: str, now: datetime | None = None) -> list[Rule]:
    """Enabled rules for this placement whose date range includes now."""
    now = now or timezone.now()
    draft, replaces = _draft.get()
    rules = [r for r in all_rules() if replaces is None or r.id != replaces]
    if draft is not None:
        rules = sorted([*rules, draft], key=lambda r: (r.position, r.id))
    return [r for r in rules if r.applies_to(placement) and r.is_live(now)]


def for_shopper(rules: Sequence[Rule], segments: Callable[[], set[str]]) -> list[Rule]:
    """The rules that apply to this shopper: those for everyone, and those whose segment
    the shopper is in. `segments` is only called when some rule names a segment, so a
    store without segment rules pays nothing for them."""
    if not any(r.segment for r in rules):
        return list(rules)
    mine = segments()
    return [r for r in rules if not r.segment or r.segment in mine]


def forget_rules(**kwargs: Any) -> None:
    _rules.forget()


def parse_price(name: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise InvalidRecommendationRequest(
            f"{name} must be a number such as 25 or '19.99', got {value!r}."
        ) from None
    if not price.is_finite() or price < 0:
        raise InvalidRecommendationRequest(f"{name} must be a non-negative number, got {value!r}.")
    return price


@dataclass
class Filters:
    """The hard filters for one request."""

    placement: str
    excluded_ids: set[str] = field(default_factory=set)  # cart, the current product
    purchased: set[str] = field(default_factory=set)
    category_id: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    rules: Sequence[Rule] = ()
    # What the shopper asked not to see ("show me less of this category").
    muted_categories: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.repurchasable = set(plugin_settings.REPURCHASABLE_CATEGORIES or ())
        self.exclude_products = {
            r.target_id for r in self.rules if r.action == "exclude" and r.target_type == "product"
        }
        self.exclude_categories = {
            r.target_id for r in self.rules if r.action == "exclude" and r.target_type == "category"
        }

    @property
    def blocked_ids(self) -> set[str]:
        """Ids known to be unwanted before any product lookup (passed to the model)."""
        return self.excluded_ids | self.exclude_products

    def allows(self, info: ProductInfo) -> bool:
        if not info.available or info.id in self.excluded_ids or info.id in self.exclude_products:
            return False
        if self.exclude_categories.intersection(info.category_ids):
            return False
        # A muted category still shows when the shopper is browsing that very category.
        if (self.muted_categories - {self.category_id}).intersection(info.category_ids):
            return False
        if info.id in self.purchased and not self.repurchasable.intersection(info.category_ids):
            return False
        if self.category_id is not None and self.category_id not in info.category_ids:
            return False
        if self.min_price is not None or self.max_price is not None:
            if info.price is None:
                return False
            if self.min_price is not None and info.price < self.min_price:
                return False
            if self.max_price is not None and info.price > self.max_price:
                return False
        return True


def adjust_relevance(
    relevance: np.ndarray, infos: Sequence[ProductInfo], rules: Iterable[Rule]
) -> np.ndarray:
    """Apply boost/bury rules: relevance +/- BOOST_STEP * strength for each match."""
    adjusted = relevance.astype(float, copy=True)
    for rule in rules:
        if rule.action not in ("boost", "bury"):
            continue
        sign = 1.0 if rule.action == "boost" else -1.0
        hits = np.fromiter((rule.matches(info) for info in infos), dtype=bool, count=len(infos))
        adjusted[hits] += sign * BOOST_STEP * rule.strength
    return adjusted


def pins(rules: Iterable[Rule]) -> list[Rule]:
    """Product pins, by position (the first rule wins a contested slot)."""
    return [r for r in rules if r.action == "pin" and r.target_type == "product"]


def _overlap(a_start: Any, a_end: Any, b_start: Any, b_end: Any) -> bool:
    """Whether two date ranges (None: open-ended) share any moment."""
    return (a_end is None or b_start is None or b_start < a_end) and (
        b_end is None or a_start is None or a_start < b_end
    )


def conflicting_pins(
    placement: str,
    position: int,
    starts_at: datetime | None,
    ends_at: datetime | None,
    exclude_pk: int | None = None,
    segment: str = "",
) -> list[MerchandisingRule]:
    """Enabled pins that would want the same slot at the same time for the same shoppers:
    same position, a shared placement ("" is every placement), a shared audience ("" is
    every shopper; two different segments may each have their own pin there) and
    overlapping date ranges. Serving gives a contested slot to the first rule, so the
    owner is told before saving a second one."""
    rows = MerchandisingRule.objects.filter(
        enabled=True, action=MerchandisingRule.Action.PIN, position=position
    )
    if placement:
        rows = rows.filter(placement__in=["", placement])
    if segment:
        rows = rows.filter(segment__in=["", segment])
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return [r for r in rows if _overlap(starts_at, ends_at, r.starts_at, r.ends_at)]
