"""Fill the demo store: catalog, admin login, home page content and 60 days of shopper history.

History is written through the plugin's public API (`track` / `track_order`), exactly as a
live store's traffic would be, and matching `Order` rows are created so the store's own
order history agrees with the events.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.models import Event, PrivacyChoice
from personalization_plugin.tracking.api import track, track_order
from personalization_plugin.tracking.backends import get_backend

from ...demo.catalog import CATEGORIES, PAIRS, generate_products
from ...demo.home_content import fill_home_page
from ...demo.simulation import Catalog, Plan, make_shoppers, simulate
from ...models import Category, Order, OrderLine, Product

SHOPPER_DOMAIN = "shoppers.example"
FIRST = (
    "ada",
    "ben",
    "cleo",
    "dev",
    "eli",
    "fay",
    "gus",
    "hana",
    "ivo",
    "jun",
    "kai",
    "lena",
    "milo",
    "nora",
    "omar",
    "pia",
    "quinn",
    "rosa",
    "sami",
    "tess",
    "uma",
    "vik",
    "wyn",
    "yara",
    "zoe",
)
LAST = (
    "ashdown",
    "birch",
    "cole",
    "dunmore",
    "ellis",
    "frome",
    "grant",
    "hale",
    "irwin",
    "jagger",
    "kerr",
    "lowe",
    "marsh",
    "nash",
    "oakes",
    "pryce",
    "reid",
    "shaw",
    "thorne",
    "vance",
)


class Command(BaseCommand):
    help = "Seed the demo store with products, an admin/admin login and simulated shopper history."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--products", type=int, default=500)
        parser.add_argument("--shoppers", type=int, default=2000)
        parser.add_argument(
            "--events", type=int, default=50000, help="About how many events to simulate"
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when products already exist"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the catalog, orders, seeded shoppers and stored events first",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["products"] < len(CATEGORIES) or opts["shoppers"] < 1 or opts["events"] < 0:
            raise CommandError(
                f"--products must be at least {len(CATEGORIES)} and --shoppers at least 1."
            )
        if Product.objects.exists():
            if opts["if_empty"]:
                self.stdout.write("The store already has products; nothing to seed (--if-empty).")
                return
            if not opts["reset"]:
                raise CommandError(
                    "The store already has products. Add --reset to delete the catalog, orders, "
                    "seeded shoppers and events first, or --if-empty to skip seeding."
                )
            self._reset()
        started = time.perf_counter()
        rng = np.random.default_rng(opts["seed"])
        now = timezone.now().replace(microsecond=0)
        with transaction.atomic():
            products = self._catalog(rng, opts["products"], now)
            self._admin()
            fill_home_page()
        catalog = _catalog_arrays(rng, products)
        shoppers = make_shoppers(rng, catalog, opts["shoppers"])
        plan = simulate(rng, catalog, shoppers, opts["events"])
        visitor_ids = [rng.bytes(16).hex() for _ in range(shoppers.count)]
        with transaction.atomic():
            customer_ids = self._users(rng, shoppers.has_account)
            self._consent(visitor_ids, customer_ids)
            order_numbers = self._orders(plan, products, customer_ids, visitor_ids, now)
        tracked = self._track(plan, products, visitor_ids, customer_ids, order_numbers, now)
        get_backend().flush()
        self._summary(
            products, customer_ids, len(plan.orders), tracked, time.perf_counter() - started
        )

    def _reset(self) -> None:
        with transaction.atomic():
            OrderLine.objects.all().delete()
            Order.objects.all().delete()
            Product.objects.all().delete()
            Category.objects.all().delete()
            get_user_model().objects.filter(
                is_staff=False, email__endswith="@" + SHOPPER_DOMAIN
            ).delete()
            Event.objects.all().delete()
            # Only grants are dropped: a shopper's opt-out must survive any reset.
            PrivacyChoice.objects.filter(consent=PrivacyChoice.Consent.GRANTED).delete()

    def _consent(self, visitor_ids: list[str], customer_ids: list[str]) -> None:
        """Under CONSENT_MODE="required", the simulated shoppers are ones who accepted the banner."""
        if plugin_settings.CONSENT_MODE != "required":
            return
        subjects = [
            f"c:{c}" if c else f"v:{v}" for v, c in zip(visitor_ids, customer_ids, strict=True)
        ]
        PrivacyChoice.objects.bulk_create(
            (PrivacyChoice(subject=s, consent=PrivacyChoice.Consent.GRANTED) for s in subjects),
            batch_size=1000,
            ignore_conflicts=True,
        )

    def _catalog(self, rng: np.random.Generator, count: int, now: Any) -> list[Product]:
        categories = Category.objects.bulk_create(
            Category(name=c.name, slug=c.slug, description=c.description, position=i)
            for i, c in enumerate(CATEGORIES)
        )
        specs = generate_products(rng, count, now)
        return Product.objects.bulk_create(
            (
                Product(
                    title=s.title,
                    slug=s.slug,
                    description=s.description,
                    price=s.price,
                    stock=s.stock,
                    published=s.published,
                    category=categories[s.category],
                    created_at=s.created_at,
                )
                for s in specs
            ),
            batch_size=500,
        )

    def _admin(self) -> None:
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@hearth-and-field.example", "admin")

    def _users(self, rng: np.random.Generator, has_account: np.ndarray) -> list[str]:
        """Accounts for some shoppers; returns each shopper's customer id ("" when anonymous)."""
        User = get_user_model()
        password = make_password("demo")
        rows = []
        for n, _ in enumerate(np.flatnonzero(has_account)):
            first, last = FIRST[int(rng.integers(len(FIRST)))], LAST[int(rng.integers(len(LAST)))]
            username = f"{first}.{last}{n}"
            rows.append(
                User(
                    username=username,
                    email=f"{username}@{SHOPPER_DOMAIN}",
                    password=password,
                    first_name=first.title(),
                    last_name=last.title(),
                )
            )
        created = User.objects.bulk_create(rows, batch_size=500)
        ids = [""] * len(has_account)
        for shopper, user in zip(np.flatnonzero(has_account), created, strict=True):
            ids[int(shopper)] = str(user.pk)
        return ids

    def _orders(
        self,
        plan: Plan,
        products: list[Product],
        customer_ids: list[str],
        visitor_ids: list[str],
        now: Any,
    ) -> list[str]:
        orders, lines = [], []
        for n, (shopper, ago, items) in enumerate(plan.orders):
            customer = customer_ids[shopper]
            order = Order(
                number=f"HF-D{n + 1:06d}",
                user_id=int(customer) if customer else None,
                visitor_id=visitor_ids[shopper],
                created_at=now - timedelta(seconds=ago),
                total=sum((products[p].price * q for p, q in items), start=products[0].price * 0),
            )
            orders.append(order)
            lines.append(
                [
                    OrderLine(
                        product=products[p],
                        title=products[p].title,
                        quantity=q,
                        unit_price=products[p].price,
                    )
                    for p, q in items
                ]
            )
        created = Order.objects.bulk_create(orders, batch_size=500)
        for order, order_lines in zip(created, lines, strict=True):
            for line in order_lines:
                line.order = order
        OrderLine.objects.bulk_create((line for group in lines for line in group), batch_size=1000)
        return [o.number for o in created]

    def _track(
        self,
        plan: Plan,
        products: list[Product],
        visitor_ids: list[str],
        customer_ids: list[str],
        order_numbers: list[str],
        now: Any,
    ) -> int:
        pid = [str(p.pk) for p in products]
        tracked = 0
        for ago, kind, s, session, product, category, query, qty, order in plan.events:
            who = {
                "visitor_id": visitor_ids[s],
                "customer_id": customer_ids[s] or None,
                "occurred_at": now - timedelta(seconds=ago),
            }
            if kind == "order":
                _, _, items = plan.orders[order]
                tracked += len(
                    track_order(
                        **who,
                        order_id=order_numbers[order],
                        currency="EUR",
                        lines=[
                            {"product_id": pid[p], "quantity": q, "price": products[p].price}
                            for p, q in items
                        ],
                    )
                )
                continue
            fields: dict[str, Any] = {"session_id": f"s{session}"}
            if product >= 0:
                fields.update(product_id=pid[product], quantity=qty)
                if kind == "cart_add":
                    fields["price"] = products[product].price
            if category >= 0:
                fields["category_id"] = CATEGORIES[category].slug
            if query:
                fields["query"] = query
            if track(kind, **who, **fields) is not None:
                tracked += 1
        return tracked

    def _summary(
        self,
        products: list[Product],
        customer_ids: list[str],
        n_orders: int,
        tracked: int,
        seconds: float,
    ) -> None:
        counts = dict(
            Event.objects.values_list("type").annotate(n=Count("id")).values_list("type", "n")
        )
        accounts = sum(1 for c in customer_ids if c)
        out = self.stdout
        out.write(
            f"Seeded {len(products)} products in {len(CATEGORIES)} categories, "
            f"{len(customer_ids)} shoppers ({accounts} with accounts), {n_orders} orders."
        )
        out.write(f"Tracked {tracked} events; stored events by type:")
        for kind in (
            "view",
            "category_view",
            "search",
            "cart_add",
            "cart_remove",
            "checkout",
            "purchase",
        ):
            out.write(f"  {kind:<14} {counts.get(kind, 0):>7}")
        views = counts.get("view", 0) or 1
        out.write(
            f"Funnel: cart adds {counts.get('cart_add', 0) / views:.1%} of views, "
            f"purchases {counts.get('purchase', 0) / views:.1%} of views."
        )
        busiest = (
            Order.objects.filter(user__isnull=False)
            .values("user__username")
            .annotate(n=Count("id"))
            .order_by("-n", "user__username")[:3]
        )
        if busiest:
            names = ", ".join(f"{row['user__username']} ({row['n']} orders)" for row in busiest)
            out.write(f"Shopper logins (password 'demo'): {names}")
        out.write(f"Done in {seconds:.1f}s. Staff login: admin / admin.")


def _catalog_arrays(rng: np.random.Generator, products: list[Product]) -> Catalog:
    """Arrays for the simulation: categories, stock and a Zipf-like popularity per product."""
    slugs = [c.slug for c in CATEGORIES]
    category = np.array([slugs.index(p.category.slug) for p in products])
    popularity = np.zeros(len(products))
    for c in range(len(CATEGORIES)):
        members = np.flatnonzero(category == c)
        ranks = rng.permutation(len(members))
        popularity[members] = 1.0 / (ranks + 1.0) ** 0.9
    popularity[[i for i, p in enumerate(products) if not p.published]] = 0.0
    queries = [sorted({w.lower() for w in (*c.nouns, *c.materials)}) for c in CATEGORIES]
    pairs = [(slugs.index(a), slugs.index(b)) for a, b in PAIRS]
    return Catalog(
        category=category,
        in_stock=np.array([p.stock > 0 for p in products]),
        popularity=popularity,
        n_categories=len(CATEGORIES),
        pairs=pairs,
        queries=queries,
    )
