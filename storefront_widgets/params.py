"""What a widget asks serving for, validated once for template tags, partials and blocks.

A `WidgetParams` round-trips through the partial URL's query string, so the lazy
placeholder and the partial that fills it always ask serving the same question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from personalization_plugin.core.exceptions import (
    InvalidWidgetParameter,
    UnknownWidgetPlacement,
)
from personalization_plugin.core.placements import Placement

DEFAULT_LIMIT = 8
MAX_LIMIT = 24
MAX_TITLE_LENGTH = 120
MAX_ID_LENGTH = 128
MAX_CART_ITEMS = 50
LAYOUTS = ("grid", "row")


def placements() -> tuple[str, ...]:
    """The placement names a widget may ask for (`core.placements.Placement`)."""
    return tuple(p.value for p in Placement)


def _clean_limit(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise InvalidWidgetParameter(
            f"limit must be a whole number between 1 and {MAX_LIMIT}, got {raw!r}."
        ) from None
    if limit < 1:
        raise InvalidWidgetParameter(f"limit must be at least 1, got {limit}.")
    return min(limit, MAX_LIMIT)


def _clean_id(name: str, raw: Any) -> str:
    if raw is None:
        return ""
    text = str(raw).strip()
    if len(text) > MAX_ID_LENGTH:
        raise InvalidWidgetParameter(f"{name} may be at most {MAX_ID_LENGTH} characters long.")
    return text


def _clean_cart(raw: Any) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        items: Iterable[Any] = raw.split(",")
    else:
        items = raw
    cart = tuple(dict.fromkeys(_clean_id("cart item", i) for i in items if str(i).strip()))
    if len(cart) > MAX_CART_ITEMS:
        raise InvalidWidgetParameter(f"cart may name at most {MAX_CART_ITEMS} products.")
    return cart


@dataclass(frozen=True)
class WidgetParams:
    """One widget's question to serving plus its presentation (title, layout)."""

    placement: str
    limit: int = DEFAULT_LIMIT
    title: str = ""
    product_id: str = ""
    category_id: str = ""
    cart: tuple[str, ...] = field(default_factory=tuple)
    layout: str = "grid"

    @classmethod
    def build(
        cls,
        placement: Any,
        *,
        limit: Any = None,
        title: Any = None,
        product_id: Any = None,
        category_id: Any = None,
        cart: Any = None,
        layout: Any = None,
    ) -> WidgetParams:
        """Validate raw values (from a tag, a query string or a block).

        Raises UnknownWidgetPlacement or InvalidWidgetParameter, each saying what to fix.
        """
        name = str(placement or "")
        known = placements()
        if name not in known:
            raise UnknownWidgetPlacement(
                f"Unknown placement {name!r}; use one of: {', '.join(known)}."
            )
        title_text = "" if title is None else str(title).strip()
        if len(title_text) > MAX_TITLE_LENGTH:
            raise InvalidWidgetParameter(
                f"title may be at most {MAX_TITLE_LENGTH} characters long."
            )
        layout_name = str(layout or "grid")
        if layout_name not in LAYOUTS:
            raise InvalidWidgetParameter(
                f"layout must be one of {', '.join(LAYOUTS)}, got {layout_name!r}."
            )
        return cls(
            placement=name,
            limit=_clean_limit(limit),
            title=title_text,
            product_id=_clean_id("product_id", product_id),
            category_id=_clean_id("category_id", category_id),
            cart=_clean_cart(cart),
            layout=layout_name,
        )

    @classmethod
    def from_query(cls, placement: str, query: Mapping[str, Any]) -> WidgetParams:
        """Parse the partial URL's query string (the inverse of `query_string`)."""
        return cls.build(
            placement,
            limit=query.get("limit"),
            title=query.get("title"),
            product_id=query.get("product_id"),
            category_id=query.get("category_id"),
            cart=query.get("cart"),
            layout=query.get("layout"),
        )

    @property
    def heading(self) -> str:
        """The visible title, or the placement's default (`Placement.title`, translated
        in the active language) for the accessible name."""
        return self.title or Placement(self.placement).title

    def query_string(self) -> str:
        pairs: list[tuple[str, str]] = []
        if self.product_id:
            pairs.append(("product_id", self.product_id))
        if self.category_id:
            pairs.append(("category_id", self.category_id))
        if self.cart:
            pairs.append(("cart", ",".join(self.cart)))
        pairs.append(("limit", str(self.limit)))
        if self.title:
            pairs.append(("title", self.title))
        if self.layout != "grid":
            pairs.append(("layout", self.layout))
        return urlencode(pairs)

    def partial_url(self) -> str:
        path = reverse("storefront_widgets:partial", args=[self.placement])
        return f"{path}?{self.query_string()}"
