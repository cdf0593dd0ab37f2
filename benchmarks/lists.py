"""Lists a shopper believes: repeated products across a page's widgets, and each
placement's catalog coverage, with the page-level exclusion on and off in the same run.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/lists.py [--views 150] [--data ../shared/data]

Two stores:
1. The demo store (seed_demo at 200 products, a temporary SQLite file, a model trained by
   the engine), with the widget sets of the demo's home, product, category, cart and order
   confirmation pages.
2. A real data set from the shared data folder (the REES46 slice: its items.csv as the
   catalog, its events as the training log and, for the sampled shoppers, their last
   views as real-time state), with the same page compositions.

Page views: sampled shoppers the model knows plus new visitors, each opening every page
type (a product they viewed, its category, a two-line cart, an order of that cart).
"after" serves each page as the shipped widgets do: `storefront_widgets.page` places the
widgets by priority and each lazy partial, with the page view's id, reads the lists above it
agreed for that page view (`storefront_widgets.page_snapshot`; computed by whichever partial
comes first, here Django's cache as on the embedded backend), exactly the code the htmx
partial runs. "before" serves every widget alone (no exclusion), the
behaviour this change replaced. Printed: the share of page views with a product in two
widgets (target 0), the catalog coverage of each placement (distinct products it showed /
products in the catalog), the mean items per widget, and wall and CPU time per page view.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (placement, options) per page, in template order: the demo's templates.
Widget = tuple[str, dict[str, Any]]


def home() -> list[Widget]:
    return [
        ("recently_viewed", {"limit": 6}),
        ("buy_again", {"limit": 6}),
        ("for_you", {"limit": 8}),
        ("trending", {"limit": 8}),
    ]


def product_page(pid: str, category: str) -> list[Widget]:
    widgets: list[Widget] = [
        ("bought_together", {"product_id": pid, "limit": 4}),
        ("similar", {"product_id": pid, "limit": 8}),
        ("viewed_together", {"product_id": pid, "limit": 4}),
    ]
    if category:  # a product without a category has no "More in <category>"
        widgets.append(("category_top", {"category_id": category, "limit": 4}))
    return widgets


def category_page(category: str) -> list[Widget]:
    return [
        ("category_top", {"category_id": category, "limit": 4}),
        ("new_arrivals", {"category_id": category, "limit": 4}),
        ("trending", {"category_id": category, "limit": 4}),
    ]


def cart_page(cart: list[str]) -> list[Widget]:
    return [
        ("cart", {"cart": cart, "limit": 4}),
        ("recently_viewed", {"limit": 6}),
        ("trending", {"limit": 4}),
    ]


def order_page(order: list[str]) -> list[Widget]:
    return [("post_purchase", {"cart": order, "limit": 4}), ("trending", {"limit": 4})]


@dataclass
class PageView:
    kind: str
    visitor: Any
    widgets: list[Widget]
    shown: list[str] = field(default_factory=list)  # the page's own products


@dataclass
class Tally:
    views: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    repeats: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    shown: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    items: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    wall: float = 0.0
    cpu: float = 0.0


def _request(visitor: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.visitor = visitor
    return request


def serve_page(view: PageView, exclusion: bool) -> dict[int, list[str]]:
    """Product ids per widget (by template position) for one page view."""
    import uuid

    from storefront_widgets.page import page_for
    from storefront_widgets.params import WidgetParams
    from storefront_widgets.rendering import fetch, recommend

    request = _request(view.visitor)
    params = [WidgetParams.build(name, **options) for name, options in view.widgets]
    out: dict[int, list[str]] = {}
    if not exclusion:
        for k, p in enumerate(params):
            out[k] = [i.product.id for i in fetch(p, request).items]
        return out
    page = page_for(request)
    assert page is not None
    page.show(view.shown)
    page.planning = True
    for p in params:  # the planning pass of {% storefront_page %}
        page.place(p, eager=False, fetch=lambda q: fetch(q, request))
    page.make_plan(lambda q: fetch(q, request))
    page_id = uuid.uuid4().hex  # what the browser sends with every partial of this page
    for k, p in enumerate(params):  # the placeholders, then their partials
        placed = page.place(p, eager=False, fetch=lambda q: fetch(q, request))
        try:
            recs = recommend(placed.params, request, page=page_id)
        except Exception:  # as the partial view: a failed widget is an empty one
            recs = None
        out[k] = [i.product.id for i in getattr(recs, "items", None) or ()]
    return out


def run(views: list[PageView], exclusion: bool) -> Tally:
    tally = Tally()
    for view in views:
        wall, cpu = time.perf_counter(), time.process_time()
        lists = serve_page(view, exclusion)
        tally.wall += time.perf_counter() - wall
        tally.cpu += time.process_time() - cpu
        tally.views[view.kind] += 1
        seen: set[str] = set(view.shown)
        repeated = False
        for k, ids in lists.items():
            name = view.widgets[k][0]
            repeated |= bool(seen & set(ids))
            seen |= set(ids)
            tally.shown[name] |= set(ids)
            tally.items[name].append(len(ids))
        tally.repeats[view.kind] += repeated
    return tally


def report(title: str, views: list[PageView], catalog_size: int) -> None:
    from personalization_plugin.serving import clear_caches

    clear_caches()
    before = run(views, exclusion=False)
    clear_caches()
    after = run(views, exclusion=True)
    print(f"\n{title}: {len(views)} page views, catalog {catalog_size:,} products")
    print(f"{'page':<10}{'views':>7}{'repeat before':>15}{'repeat after':>14}")
    for kind in before.views:
        n = before.views[kind]
        print(f"{kind:<10}{n:>7}{before.repeats[kind] / n:>15.1%}{after.repeats[kind] / n:>14.1%}")
    total = sum(before.views.values())
    print(
        f"{'all':<10}{total:>7}{sum(before.repeats.values()) / total:>15.1%}"
        f"{sum(after.repeats.values()) / total:>14.1%}   (target 0%)"
    )
    print(
        f"{'placement':<17}{'coverage before':>16}{'after':>8}{'items/widget before':>21}{'after':>7}"
    )
    for name in sorted(before.shown):
        b_items = before.items[name]
        a_items = after.items[name]
        print(
            f"{name:<17}{len(before.shown[name]) / catalog_size:>16.1%}"
            f"{len(after.shown[name]) / catalog_size:>8.1%}"
            f"{sum(b_items) / max(len(b_items), 1):>21.2f}{sum(a_items) / max(len(a_items), 1):>7.2f}"
        )
    print(
        f"per page view: before {before.wall / total * 1000:.1f} ms wall / "
        f"{before.cpu / total * 1000:.1f} ms CPU, after {after.wall / total * 1000:.1f} ms wall / "
        f"{after.cpu / total * 1000:.1f} ms CPU (ratio {after.cpu / max(before.cpu, 1e-9):.2f}x CPU; "
        "a lazy partial reads or computes the lists above it)"
    )


def page_views(
    visitors: Iterable[Any],
    viewed: Callable[[Any], list[str]],
    category_of: Callable[[str], str],
    products: list[str],
    rng: random.Random,
) -> list[PageView]:
    views: list[PageView] = []
    for visitor in visitors:
        history = viewed(visitor) or [rng.choice(products)]
        pid = history[0]
        cart = list(dict.fromkeys([pid, rng.choice(products)]))
        views += [
            PageView("home", visitor, home()),
            PageView("product", visitor, product_page(pid, category_of(pid)), [pid]),
            *(
                [PageView("category", visitor, category_page(category_of(pid)))]
                if category_of(pid)
                else []
            ),
            PageView("cart", visitor, cart_page(cart), cart),
            PageView("order", visitor, order_page(cart), cart),
        ]
    return views


def demo_store(n_views: int, rng: random.Random) -> None:
    from django.conf import settings
    from django.core.management import call_command

    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.engine.training import train
    from personalization_plugin.models import Event
    from personalization_plugin.serving import clear_caches
    from personalization_plugin.tracking.backends import get_backend
    from personalization_plugin.tracking.identity import Visitor

    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": "shop.adapter.ShopAdapter",
        "MODEL_DIR": tempfile.mkdtemp(prefix="sp-lists-models-"),
    }
    plugin_settings.reload()
    call_command(
        "seed_demo", products=200, shoppers=100, events=4000, seed=3, stdout=open(os.devnull, "w")
    )
    get_backend().flush()
    train()
    clear_caches()
    from shop.models import Product

    products = {
        str(p.pk): p.category.slug
        for p in Product.objects.published().filter(stock__gt=0).select_related("category")
    }
    known = list(
        Event.objects.filter(type="view").values_list("visitor_id", flat=True).distinct()[:500]
    )
    sample = rng.sample(known, min(len(known), n_views // 2))
    visitors = [Visitor(visitor_id=v, consent="granted") for v in sample]
    visitors += [Visitor(visitor_id=f"new-{k}", consent="granted") for k in range(n_views // 4)]
    visitors += [Visitor(visitor_id=f"gpc-{k}", gpc=True) for k in range(n_views // 4)]

    def viewed(visitor: Any) -> list[str]:
        rows = Event.objects.filter(type="view", visitor_id=visitor.visitor_id)
        return [
            p
            for p in rows.order_by("-occurred_at").values_list("product_id", flat=True)[:5]
            if p in products
        ]

    views = page_views(visitors, viewed, lambda p: products.get(p, ""), list(products), rng)
    report("Demo store (seed_demo, 200 products)", views, Product.objects.published().count())


def real_data(folder: Path, n_views: int, rng: random.Random) -> None:
    import numpy as np
    from django.conf import settings

    from personalization_plugin.adapters import ProductInfo
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.core.events import build_event
    from personalization_plugin.engine import registry
    from personalization_plugin.engine.builder import BuildParams, build_arrays
    from personalization_plugin.engine.catalog import CatalogSnapshot
    from personalization_plugin.engine.datasets import read_events_csv
    from personalization_plugin.engine.interactions import build_interactions
    from personalization_plugin.engine.serving_model import ArtifactModel
    from personalization_plugin.serving import clear_caches
    from personalization_plugin.tracking.identity import Visitor
    from personalization_plugin.tracking.realtime import get_realtime

    spec = importlib.util.spec_from_file_location(
        "serving_bench", ROOT / "benchmarks" / "serving.py"
    )
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]

    import csv
    from decimal import Decimal

    catalog: dict[str, ProductInfo] = {}
    with (folder / "items.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            price = Decimal(row["price"]) if row.get("price") else None
            catalog[row["item"]] = ProductInfo(
                id=row["item"],
                title=f"{row.get('brand') or 'Item'} {row['item']}",
                price=price,
                category_ids=(row["category"],) if row.get("category") else (),
            )
    log = read_events_csv(folder / "events.csv")
    for pid in set(map(str, log.item)) - set(catalog):
        catalog[pid] = ProductInfo(id=pid, title=f"Item {pid}")
    bench.BenchAdapter.products = catalog
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "ADAPTER": bench.BenchAdapter}
    plugin_settings.reload()
    clear_caches()

    data = build_interactions(
        log, plugin_settings.EVENT_WEIGHTS, plugin_settings.HALF_LIFE_DAYS, extra_items=catalog
    )
    snapshot = CatalogSnapshot(
        categories={p.id: p.category_ids for p in catalog.values()},
        price={p.id: float(p.price or 0) for p in catalog.values()},
        created={p.id: 0.0 for p in catalog.values()},
        available={p.id: p.available for p in catalog.values()},
    )
    params = BuildParams.from_settings("als", iterations=10)
    arrays, _ = build_arrays(data, params, snapshot)
    model = ArtifactModel(arrays, {"version": "lists-bench", "params": params.to_dict()})
    registry.get_active_model = lambda: model

    by_user: dict[str, list[str]] = defaultdict(list)
    for subject, item, kind in zip(log.subject, log.item, log.type, strict=True):
        if kind == "view":
            by_user[str(subject)[2:]].append(str(item))
    users = [u for u, items in by_user.items() if len(set(items)) >= 2]
    sample = rng.sample(users, min(len(users), n_views // 2))
    realtime = get_realtime()
    for user in sample:
        for pid in by_user[user][-3:]:
            realtime.record(
                build_event("view", visitor_id=user, product_id=pid), catalog[pid].category_ids
            )
    visitors = [Visitor(visitor_id=u, consent="granted") for u in sample]
    visitors += [Visitor(visitor_id=f"new-{k}", consent="granted") for k in range(n_views // 2)]
    popular = [p for p, _ in model.popular(n=500)]

    def viewed(visitor: Any) -> list[str]:
        return list(reversed(by_user.get(visitor.visitor_id, [])))[:5]

    def category_of(pid: str) -> str:
        info = catalog.get(pid)
        return info.category_ids[0] if info and info.category_ids else ""

    views = page_views(visitors, viewed, category_of, popular, rng)
    del np
    report(f"{folder.name} (real data)", views, len(catalog))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=120, help="visitors per store")
    shared = next(
        (
            p
            for p in (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data")
            if p.exists()
        ),
        ROOT.parent / "shared" / "data",
    )
    parser.add_argument("--data", type=Path, default=shared)
    parser.add_argument("--dataset", default="rees46-slice")
    args = parser.parse_args()

    import django
    from django.conf import settings

    folder = Path(tempfile.mkdtemp(prefix="sp-lists-db-"))
    settings.DATABASES["default"]["NAME"] = str(folder / "bench.sqlite3")
    settings.DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "REDIS_URL": None}
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    demo_store(args.views, rng)
    real_data(args.data / args.dataset, args.views, rng)


if __name__ == "__main__":
    main()
