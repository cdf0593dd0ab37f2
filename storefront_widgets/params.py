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
MAX_EXCLUDE = 200  # products a page may say it already shows
MAX_ABOVE = 6  # higher-priority widgets a lazy partial recomputes to step around
MAX_QUANTITY = 999
LAYOUTS = ("grid", "row")
# The serving fallbacks a widget may ask for (serving.types.FALLBACKS, kept in step by a test).
STAND_IN = "stand_in"
NO_FALLBACK = "none"
# Generic lists may stand in for each other (each titled as what it is); a specific or
# personal placement shows nothing rather than another placement's list.
DEFAULT_FALLBACK = {
    Placement.TRENDING.value: STAND_IN,
    Placement.CATEGORY_TOP.value: STAND_IN,
    Placement.NEW_ARRIVALS.value: STAND_IN,
}


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


def _clean_cart(raw: Any) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Cart ids and their quantities, from a list of ids, a mapping of id to quantity or
    the query string's "12,15:2" (id, optionally ":quantity")."""
    if raw is None or raw == "":
        return (), ()
    if isinstance(raw, Mapping):
        pairs: list[tuple[Any, Any]] = list(raw.items())
    else:
        items: Iterable[Any] = raw.split(",") if isinstance(raw, str) else raw
        pairs = []
        for item in items:
            text = str(item).strip()
            if isinstance(raw, str) and ":" in text:
                pid, _, qty = text.rpartition(":")
                pairs.append((pid, qty))
            else:
                pairs.append((item, 1))
    quantities: dict[str, int] = {}
    for pid, qty in pairs:
        if not str(pid).strip():
            continue
        key = _clean_id("cart item", pid)
        quantities.setdefault(key, _clean_quantity(key, qty))
    if len(quantities) > MAX_CART_ITEMS:
        raise InvalidWidgetParameter(f"cart may name at most {MAX_CART_ITEMS} products.")
    return tuple(quantities), tuple(quantities.values())


def _clean_quantity(pid: str, raw: Any) -> int:
    try:
        qty = int(raw)
    except (TypeError, ValueError):
        raise InvalidWidgetParameter(
            f"cart quantity for {pid!r} must be a whole number, got {raw!r}."
        ) from None
    if not 1 <= qty <= MAX_QUANTITY:
        raise InvalidWidgetParameter(
            f"cart quantity for {pid!r} must be from 1 to {MAX_QUANTITY}, got {qty}."
        )
    return qty


def _clean_exclude(raw: Any) -> tuple[str, ...]:
    """Product ids the page already shows: a list, or the query string's "1,2,3"."""
    if raw is None or raw == "":
        return ()
    items: Iterable[Any] = raw.split(",") if isinstance(raw, str) else raw
    ids = tuple(dict.fromkeys(_clean_id("exclude item", i) for i in items if str(i).strip()))
    if len(ids) > MAX_EXCLUDE:
        raise InvalidWidgetParameter(
            f"exclude may name at most {MAX_EXCLUDE} products; pass only what the page shows."
        )
    return ids


def _clean_fallback(placement: str, raw: Any) -> str:
    if raw is None or raw == "":
        return DEFAULT_FALLBACK.get(placement, NO_FALLBACK)
    name = str(raw)
    allowed = (NO_FALLBACK, STAND_IN, *placements())
    if name not in allowed:
        raise InvalidWidgetParameter(f"fallback must be one of {', '.join(allowed)}, got {name!r}.")
    return name


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
    quantities: tuple[int, ...] = field(default_factory=tuple)  # one per cart id
    exclude: tuple[str, ...] = field(default_factory=tuple)  # what the page already shows
    fallback: str = NO_FALLBACK
    # Higher-priority lazy widgets on the same page (their `spec()`), which the partial
    # recomputes in order to step around their products.
    above: tuple[str, ...] = field(default_factory=tuple)

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
        exclude: Any = None,
        fallback: Any = None,
        above: Any = None,
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
        cart_ids, quantities = _clean_cart(cart)
        return cls(
            placement=name,
            limit=_clean_limit(limit),
            title=title_text,
            product_id=_clean_id("product_id", product_id),
            category_id=_clean_id("category_id", category_id),
            cart=cart_ids,
            layout=layout_name,
            quantities=quantities,
            exclude=_clean_exclude(exclude),
            fallback=_clean_fallback(name, fallback),
            above=_clean_above(above),
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
            exclude=query.get("exclude"),
            fallback=query.get("fallback"),
            above=_getlist(query, "above"),
        )

    @property
    def heading(self) -> str:
        """The visible title, or the placement's default (`Placement.title`, translated
        in the active language) for the accessible name."""
        return self.title or Placement(self.placement).title

    @property
    def cart_quantities(self) -> dict[str, int]:
        """The cart as serving takes it: id to quantity (line value weighs suggestions)."""
        return dict(zip(self.cart, self.quantities or (1,) * len(self.cart), strict=False))

    def _question(self) -> list[tuple[str, str]]:
        """What serving is asked (never the presentation, the exclusions or `above`)."""
        pairs: list[tuple[str, str]] = []
        if self.product_id:
            pairs.append(("product_id", self.product_id))
        if self.category_id:
            pairs.append(("category_id", self.category_id))
        if self.cart:
            pairs.append(
                (
                    "cart",
                    ",".join(
                        pid if qty == 1 else f"{pid}:{qty}"
                        for pid, qty in self.cart_quantities.items()
                    ),
                )
            )
        pairs.append(("limit", str(self.limit)))
        if self.fallback != DEFAULT_FALLBACK.get(self.placement, NO_FALLBACK):
            pairs.append(("fallback", self.fallback))
        return pairs

    def spec(self) -> str:
        """This widget's question as one string ("similar?product_id=4&limit=8"), which a
        lower-priority partial on the same page recomputes (`above`)."""
        return f"{self.placement}?{urlencode(self._question())}"

    @classmethod
    def from_spec(cls, spec: str) -> WidgetParams:
        """The inverse of `spec`; InvalidWidgetParameter for a malformed one."""
        from urllib.parse import parse_qsl

        placement, sep, query = str(spec).partition("?")
        if not sep:
            raise InvalidWidgetParameter(
                f"above must name a widget as 'placement?query', got {spec!r}."
            )
        values = dict(parse_qsl(query))
        return cls.build(
            placement,
            limit=values.get("limit"),
            product_id=values.get("product_id"),
            category_id=values.get("category_id"),
            cart=values.get("cart"),
            fallback=values.get("fallback"),
        )

    def query_string(self) -> str:
        pairs = self._question()
        if self.title:
            pairs.append(("title", self.title))
        if self.layout != "grid":
            pairs.append(("layout", self.layout))
        if self.exclude:
            pairs.append(("exclude", ",".join(self.exclude)))
        pairs += [("above", spec) for spec in self.above]
        return urlencode(pairs)

    def partial_url(self) -> str:
        path = reverse("storefront_widgets:partial", args=[self.placement])
        return f"{path}?{self.query_string()}"


def _getlist(query: Mapping[str, Any], name: str) -> list[Any] | None:
    getlist = getattr(query, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = query.get(name)
    return None if value is None else [value] if isinstance(value, str) else list(value)


def _clean_above(raw: Any) -> tuple[str, ...]:
    if not raw:
        return ()
    specs = tuple(str(s) for s in ([raw] if isinstance(raw, str) else raw) if str(s).strip())
    if len(specs) > MAX_ABOVE:
        raise InvalidWidgetParameter(
            f"above may name at most {MAX_ABOVE} widgets; a page shows fewer lists."
        )
    for spec in specs:
        WidgetParams.from_spec(spec)  # each must be a valid widget question
    return specs
