"""A page is one set of lists: the widgets on one page never repeat each other's products.

Every widget a page renders (template tags, Wagtail blocks, eager or lazy) is placed
through the request's `PageLists`. A widget steps around the products the page already
shows (`PageLists.show`, or `{% storefront_page exclude=... %}`) and around the lists
of the widgets that outrank it:

- an eager widget is served at once, excluding every list placed before it;
- a lazy placeholder carries, in its partial URL, the ids eager widgets already took
  (`exclude=`) and the questions of the lazy widgets above it (`above=`). The partials
  load in parallel, so each one recomputes the lists above it, in order, before its
  own: serving is deterministic for one visitor and moment, so every partial agrees on
  who shows what without waiting for the others. The placeholder stays the same for
  every visitor (it names questions, not answers), so the page around it stays cacheable.

Which widget outranks which is `PRIORITY`: the most specific list keeps its products
(bought together, the cart, the shopper's own history) and the generic ones (trending,
the top of a category) move on. Without `{% storefront_page %}` widgets are ranked in
template order; inside it, lazy widgets are placed by priority once the whole block has
rendered (their placeholders are filled in afterwards: one render), and a block with eager
widgets is rendered a second time with each widget in its place.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.http import HttpRequest

from personalization_plugin.core.placements import Placement
from storefront_widgets.params import MAX_ABOVE, MAX_EXCLUDE, WidgetParams

logger = logging.getLogger("storefront_widgets")

ATTRIBUTE = "_storefront_page_lists"

# Lower first. Ties keep template order.
PRIORITY: dict[str, int] = {
    Placement.RECENTLY_VIEWED.value: 0,  # the shopper's own history, shown as it is
    Placement.BOUGHT_TOGETHER.value: 10,
    Placement.CART.value: 10,
    Placement.POST_PURCHASE.value: 10,
    Placement.BUY_AGAIN.value: 15,
    Placement.SIMILAR.value: 20,
    Placement.VIEWED_TOGETHER.value: 25,
    Placement.FOR_YOU.value: 30,
    Placement.CATEGORY_TOP.value: 40,
    Placement.NEW_ARRIVALS.value: 45,
    Placement.TRENDING.value: 50,
}

Fetch = Callable[[WidgetParams], Any]


def priority(placement: str) -> int:
    return PRIORITY.get(placement, 35)


def ids_of(recs: Any) -> list[str]:
    return [str(item.product.id) for item in getattr(recs, "items", None) or ()]


@dataclass
class Placed:
    """One widget as the page placed it: its parameters with the page's exclusions, and
    (eager) its list."""

    params: WidgetParams
    recs: Any = None
    marker: str = ""  # while recording: stands in for a lazy placeholder, filled later


@dataclass
class PageLists:
    """The widgets of one page view, and the products they (and the page) show."""

    shown: list[str] = field(default_factory=list)  # the page's own products
    taken: list[str] = field(default_factory=list)  # products eager widgets show
    above: list[str] = field(default_factory=list)  # specs of lazy widgets placed so far
    planning: bool = False  # record widgets only (nothing served)
    recording: bool = False  # place widgets in template order and record them
    declared: list[tuple[WidgetParams, bool]] = field(default_factory=list)
    saved: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    had_eager: bool = False
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    plan: list[Placed] | None = None
    cursor: int = 0

    def show(self, ids: Iterable[Any]) -> None:
        """Products the page itself shows (its product, cart lines, a shelf): no widget
        repeats them."""
        for pid in ids:
            text = str(pid).strip()
            if text and text not in self.shown:
                self.shown.append(text)

    def place(self, params: WidgetParams, *, eager: bool, fetch: Fetch) -> Placed:
        """The widget's parameters with the page's exclusions, and with eager=True its
        list. While planning, only records the widget."""
        if self.planning:
            self.declared.append((params, eager))
            return Placed(params)
        if self.recording:
            index = len(self.declared)
            self.declared.append((params, eager))
            if not eager:  # placed once the whole block is known: see fill_markers
                return Placed(params, marker=f"<!--sp-widget {self.token} {index}-->")
            self.had_eager = True
        if self.plan is not None and self.cursor < len(self.plan):
            placed = self.plan[self.cursor]
            self.cursor += 1
            if _same_widget(placed.params, params):
                return placed
            logger.warning(
                "storefront_page: widget %r rendered differently the second time; "
                "placing it in template order",
                params.placement,
            )
            self.plan = None
        return self._place_next(params, eager, fetch)

    def _place_next(self, params: WidgetParams, eager: bool, fetch: Fetch) -> Placed:
        placed = replace(
            params,
            exclude=_merge(params.exclude, self.shown, self.taken),
            above=tuple(self.above[-MAX_ABOVE:]),
        )
        if not eager:
            self.above.append(params.spec())
            return Placed(placed)
        # Served now: step around the lazy widgets above as their partials will see them.
        served = replace(placed, exclude=above_exclusions(placed, fetch), above=())
        recs = fetch(served)
        self.taken += [pid for pid in ids_of(recs) if pid not in self.taken]
        return Placed(served, recs)

    def record(self) -> None:
        """Start the block's first pass: lazy widgets leave a marker, eager ones are
        served in template order (and the block is rendered again if there are any)."""
        self.saved = (list(self.taken), list(self.above))
        self.declared, self.recording, self.plan, self.had_eager = [], True, None, False

    def replan(self, fetch: Fetch) -> None:
        """Undo the first pass and place the recorded widgets by priority, for a second
        pass that hands each its place."""
        self.recording = False
        self.taken, self.above = list(self.saved[0]), list(self.saved[1])
        self.make_plan(fetch)

    def fill_markers(self, html: str, placeholder: Callable[[WidgetParams], str]) -> str:
        """A block of lazy widgets only: place them by priority and put each one's
        placeholder where its marker is (one render, whatever the template order)."""
        self.recording = False
        self.make_plan(lambda p: None)  # lazy widgets are placed without serving
        assert self.plan is not None
        for index, placed in enumerate(self.plan):
            html = html.replace(
                f"<!--sp-widget {self.token} {index}-->", placeholder(placed.params), 1
            )
        self.plan = None
        return html

    def make_plan(self, fetch: Fetch) -> None:
        """After the planning pass: place every declared widget by priority (template
        order among equals), so the second pass hands each its place."""
        order = sorted(
            range(len(self.declared)), key=lambda i: priority(self.declared[i][0].placement)
        )
        placed: dict[int, Placed] = {}
        for index in order:
            params, eager = self.declared[index]
            placed[index] = self._place_next(params, eager, fetch)
        self.plan = [placed[i] for i in range(len(self.declared))]
        self.planning = False
        self.cursor = 0


def _same_widget(a: WidgetParams, b: WidgetParams) -> bool:
    return a.spec() == b.spec() and a.title == b.title and a.layout == b.layout


def _merge(*groups: Iterable[str]) -> tuple[str, ...]:
    out = list(dict.fromkeys(pid for group in groups for pid in group))
    return tuple(out[-MAX_EXCLUDE:])


def page_for(request: HttpRequest | None) -> PageLists | None:
    """The request's page (made on first use); None without a request."""
    if request is None:
        return None
    page = getattr(request, ATTRIBUTE, None)
    if page is None:
        page = PageLists()
        try:
            setattr(request, ATTRIBUTE, page)
        except AttributeError:  # an object that takes no attributes: no page-level lists
            return None
    return page


def show(request: HttpRequest | None, ids: Iterable[Any]) -> None:
    """For views: products this page shows itself, which its widgets must not repeat."""
    page = page_for(request)
    if page is not None:
        page.show(ids)


def above_exclusions(params: WidgetParams, fetch: Fetch) -> tuple[str, ...]:
    """For a lazy partial: the page's exclusions plus the lists of the widgets above it,
    recomputed in priority order exactly as their own partials compute them."""
    excluded = list(params.exclude)
    for spec in params.above[:MAX_ABOVE]:
        upper = replace(WidgetParams.from_spec(spec), exclude=_merge(excluded))
        excluded += [pid for pid in ids_of(fetch(upper)) if pid not in excluded]
    return _merge(excluded)
