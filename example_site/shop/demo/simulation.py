"""Simulated shopper history for the demo store.

Shoppers have one to three favourite categories and an activity level (a few are heavy,
repeat buyers). Each session browses a category, views several products (popular ones
more often), adds some to the cart and sometimes checks out. Ordered products often come
with a complementary "partner" product from a paired category, so co-purchase models
have real structure to find. Everything is drawn from one seeded numpy Generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Funnel: probability a viewed in-stock product goes into the cart, that a carted item is
# removed again, that a session with a cart starts checkout, that checkout becomes an order,
# and that an ordered product brings its complementary partner along.
P_CART = 0.09
P_REMOVE = 0.12
P_CHECKOUT = 0.5
P_ORDER = 0.6
P_PARTNER = 0.35
P_FAVOURITE = 0.8
DAYS = 60


@dataclass
class Catalog:
    """Array view of the products the simulation may use (published ones only)."""

    category: np.ndarray  # int, per product
    in_stock: np.ndarray  # bool, per product
    popularity: np.ndarray  # float, per product
    n_categories: int
    pairs: list[tuple[int, int]]
    queries: list[list[str]]  # search words per category

    def __post_init__(self) -> None:
        self.members = [
            np.flatnonzero((self.category == c) & (self.popularity > 0))
            for c in range(self.n_categories)
        ]
        self.cum = [np.cumsum(self.popularity[m]) for m in self.members]
        self.cat_weight = np.array([self.popularity[m].sum() for m in self.members])
        self.cat_cum = np.cumsum(self.cat_weight)
        self.partners_of = [
            [b for a, b in self.pairs if a == c] + [a for a, b in self.pairs if b == c]
            for c in range(self.n_categories)
        ]


@dataclass
class Plan:
    """What happened, in time order once sorted. Times are seconds before `now`."""

    events: list[tuple] = field(
        default_factory=list
    )  # (ago, kind, shopper, session, product, category, query, qty, order)
    orders: list[tuple[int, float, list[tuple[int, int]]]] = field(
        default_factory=list
    )  # (shopper, ago, lines)
    size: int = 0  # events the plan stores once tracked (an order counts once per line)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for ev in self.events:
            kind = ev[1]
            if kind == "order":
                out["purchase"] = out.get("purchase", 0) + len(self.orders[ev[8]][2])
            else:
                out[kind] = out.get(kind, 0) + 1
        return out


@dataclass
class Shoppers:
    count: int
    has_account: np.ndarray
    activity_cum: np.ndarray
    favourites: list[np.ndarray]
    favourite_cum: list[np.ndarray]


def make_shoppers(
    rng: np.random.Generator, catalog: Catalog, count: int, account_share: float = 0.3
) -> Shoppers:
    activity = rng.lognormal(0.0, 1.0, size=count)
    k = rng.integers(1, 4, size=count)
    cat_p = catalog.cat_weight / catalog.cat_weight.sum()
    favourites = [rng.choice(catalog.n_categories, size=int(n), replace=False, p=cat_p) for n in k]
    weights = [rng.dirichlet(np.full(len(f), 2.0)) for f in favourites]
    return Shoppers(
        count=count,
        has_account=rng.random(count) < account_share,
        activity_cum=np.cumsum(activity),
        favourites=favourites,
        favourite_cum=[np.cumsum(w) for w in weights],
    )


def _pick(rng: np.random.Generator, cum: np.ndarray) -> int:
    return int(np.searchsorted(cum, rng.random() * cum[-1], side="right").clip(0, len(cum) - 1))


def partner_products(rng: np.random.Generator, catalog: Catalog) -> np.ndarray:
    """For each product, a popular product from a complementary category (its usual companion)."""
    partners = np.full(len(catalog.category), -1)
    for c in range(catalog.n_categories):
        options = [o for o in catalog.partners_of[c] if len(catalog.members[o])]
        for p in catalog.members[c]:
            if options:
                other = options[int(rng.integers(len(options)))]
                partners[p] = catalog.members[other][_pick(rng, catalog.cum[other])]
    return partners


def simulate(
    rng: np.random.Generator, catalog: Catalog, shoppers: Shoppers, target_events: int
) -> Plan:
    """Sessions until about `target_events` events are planned."""
    plan = Plan()
    partners = partner_products(rng, catalog)
    session = 0
    while plan.size < target_events:
        _session(rng, catalog, shoppers, partners, plan, session)
        session += 1
    plan.events.sort(key=lambda ev: -ev[0])
    return plan


def _session_category(
    rng: np.random.Generator, catalog: Catalog, shoppers: Shoppers, s: int
) -> int:
    if rng.random() < P_FAVOURITE:
        return int(shoppers.favourites[s][_pick(rng, shoppers.favourite_cum[s])])
    return _pick(rng, catalog.cat_cum)


def _session(
    rng, catalog: Catalog, shoppers: Shoppers, partners: np.ndarray, plan: Plan, session: int
) -> None:
    s = _pick(rng, shoppers.activity_cum)
    cat = _session_category(rng, catalog, shoppers, s)
    # More recent days are busier (a growing shop); evenings busier than mornings.
    day = DAYS * rng.random() ** 1.3
    hour_shift = float(np.clip(rng.normal(20.5, 3.0), 7, 23.9)) / 24
    ago = max(120.0, (np.floor(day) + 1 - hour_shift) * 86400 + rng.uniform(0, 600))

    def emit(
        kind: str,
        product: int = -1,
        category: int = -1,
        query: str = "",
        qty: int = 1,
        order: int = -1,
    ) -> None:
        nonlocal ago
        plan.events.append((ago, kind, s, session, product, category, query, qty, order))
        plan.size += len(plan.orders[order][2]) if kind == "order" else 1
        ago = max(60.0, ago - rng.uniform(15, 150))

    roll = rng.random()
    if roll < 0.3:
        emit("category_view", category=cat)
    elif roll < 0.4:
        words = catalog.queries[cat]
        emit("search", query=words[int(rng.integers(len(words)))])
    cart: dict[int, int] = {}
    for _ in range(1 + int(rng.geometric(0.25))):
        r = rng.random()
        c = cat
        if r > 0.85:
            c = _pick(rng, catalog.cat_cum)
        elif r > 0.75 and catalog.partners_of[cat]:
            c = catalog.partners_of[cat][int(rng.integers(len(catalog.partners_of[cat])))]
        if not len(catalog.members[c]):
            continue
        p = int(catalog.members[c][_pick(rng, catalog.cum[c])])
        emit("view", product=p)
        if catalog.in_stock[p] and rng.random() < P_CART:
            qty = 1 if rng.random() < 0.85 else 2
            emit("cart_add", product=p, qty=qty)
            cart[p] = cart.get(p, 0) + qty
    for p in list(cart):
        if rng.random() < P_REMOVE:
            emit("cart_remove", product=p, qty=cart.pop(p))
    if not cart or rng.random() >= P_CHECKOUT:
        return
    for p in list(cart):
        q = int(partners[p])
        if q >= 0 and q not in cart and catalog.in_stock[q] and rng.random() < P_PARTNER:
            emit("view", product=q)
            emit("cart_add", product=q)
            cart[q] = 1
    emit("checkout")
    if rng.random() < P_ORDER:
        plan.orders.append((s, ago, list(cart.items())))
        emit("order", order=len(plan.orders) - 1)
