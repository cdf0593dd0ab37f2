"""Word lists and the generator for the demo catalog.

Each category has its own nouns, materials and price range, so titles read like a real
shop ("Harlow Linen Tea Towel"). `PAIRS` lists complementary categories: shoppers who buy
from one often buy from the other, which is what gives "bought together" its signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.utils.text import slugify


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    description: str
    nouns: tuple[str, ...]
    materials: tuple[str, ...]
    price_range: tuple[float, float]
    blurb: str


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "cookware",
        "Cookware",
        "Pans and pots that last a lifetime and go from hob to table.",
        (
            "Skillet",
            "Saucepan",
            "Dutch Oven",
            "Stockpot",
            "Sauté Pan",
            "Griddle",
            "Roasting Tin",
            "Wok",
        ),
        ("Cast Iron", "Enamelled", "Copper", "Carbon Steel", "Stainless"),
        (24, 180),
        "Heats evenly and holds its heat, oven-safe and made to be used every day.",
    ),
    CategorySpec(
        "kitchen-textiles",
        "Kitchen Textiles",
        "Tea towels, aprons and oven gloves in washed linen and cotton.",
        (
            "Tea Towel",
            "Apron",
            "Oven Glove",
            "Pot Holder",
            "Table Runner",
            "Napkin Set",
            "Tablecloth",
        ),
        ("Linen", "Cotton", "Waffle Cotton", "Striped Linen", "Organic Cotton"),
        (8, 55),
        "Pre-washed for softness, machine washable and gets better with every wash.",
    ),
    CategorySpec(
        "tableware",
        "Tableware",
        "Plates, bowls and platters for every day and for guests.",
        (
            "Dinner Plate Set",
            "Serving Bowl",
            "Pasta Bowl",
            "Platter",
            "Side Plate Set",
            "Salad Bowl",
            "Cake Stand",
        ),
        ("Stoneware", "Porcelain", "Speckled", "Glazed", "Hand-thrown"),
        (12, 95),
        "Dishwasher and microwave safe, glazed by hand so each piece is slightly different.",
    ),
    CategorySpec(
        "coffee-tea",
        "Coffee & Tea",
        "Everything for a slower morning cup.",
        (
            "Pour-Over Set",
            "Teapot",
            "French Press",
            "Coffee Grinder",
            "Tea Caddy",
            "Milk Jug",
            "Mug Pair",
        ),
        ("Ceramic", "Glass", "Stoneware", "Brass", "Matte"),
        (14, 130),
        "Brews a clean, full-flavoured cup and looks good on an open shelf.",
    ),
    CategorySpec(
        "candles",
        "Candles",
        "Beeswax and soy candles, holders and lanterns.",
        (
            "Pillar Candle",
            "Taper Candle Pair",
            "Scented Candle",
            "Tealight Set",
            "Candle Holder",
            "Lantern",
        ),
        ("Beeswax", "Soy Wax", "Brass", "Iron", "Rapeseed Wax"),
        (6, 65),
        "Burns clean and slow; poured in small batches.",
    ),
    CategorySpec(
        "home-fragrance",
        "Home Fragrance",
        "Diffusers, room sprays and incense in quiet scents.",
        (
            "Reed Diffuser",
            "Room Spray",
            "Incense Set",
            "Diffuser Refill",
            "Linen Spray",
            "Scented Sachets",
        ),
        ("Fig Leaf", "Cedar", "Sea Salt", "Wild Mint", "Amber", "Rosemary"),
        (9, 58),
        "Blended with natural essential oils; a little goes a long way.",
    ),
    CategorySpec(
        "bedding",
        "Bedding",
        "Sheets, covers and throws for better sleep.",
        ("Duvet Cover", "Pillowcase Pair", "Fitted Sheet", "Throw", "Quilt", "Wool Blanket"),
        ("Linen", "Percale", "Sateen", "Wool", "Washed Cotton"),
        (28, 240),
        "Breathable, soft from the first night, and made to be slept in for years.",
    ),
    CategorySpec(
        "bath",
        "Bath",
        "Towels, mats and robes that feel like a hotel, at home.",
        ("Bath Towel", "Hand Towel", "Bath Mat", "Robe", "Soap Dish", "Wash Bag", "Bath Sheet"),
        ("Turkish Cotton", "Waffle", "Linen", "Bamboo", "Terry"),
        (8, 110),
        "Absorbent, quick-drying and woven to keep its loft wash after wash.",
    ),
    CategorySpec(
        "storage",
        "Storage",
        "Baskets, crates and jars that keep things tidy.",
        ("Storage Basket", "Crate", "Jar Set", "Shelf Box", "Laundry Basket", "Tray"),
        ("Seagrass", "Willow", "Oak", "Glass", "Felt"),
        (10, 85),
        "Sturdy, stackable and handsome enough to leave out.",
    ),
    CategorySpec(
        "lighting",
        "Lighting",
        "Lamps, shades and string lights for warm evenings.",
        (
            "Table Lamp",
            "Pendant Shade",
            "Floor Lamp",
            "String Lights",
            "Wall Light",
            "Reading Lamp",
        ),
        ("Rattan", "Linen", "Brass", "Ceramic", "Paper"),
        (22, 260),
        "Gives a soft, warm light; bulb sold separately where noted.",
    ),
    CategorySpec(
        "garden-tools",
        "Garden Tools",
        "Hand tools forged to last a gardening lifetime.",
        (
            "Trowel",
            "Hand Fork",
            "Pruning Shears",
            "Border Spade",
            "Rake",
            "Hoe",
            "Watering Can",
            "Dibber",
        ),
        ("Stainless", "Ash-handled", "Copper", "Forged Steel", "Galvanised"),
        (9, 120),
        "Balanced in the hand with a comfortable grip; sharpened and ready to work.",
    ),
    CategorySpec(
        "planters",
        "Planters & Pots",
        "Terracotta, glazed and hanging pots for every plant.",
        ("Planter", "Plant Pot", "Hanging Planter", "Window Box", "Pot & Saucer", "Trough"),
        ("Terracotta", "Glazed", "Concrete", "Zinc", "Ribbed"),
        (6, 130),
        "With drainage holes; frost-resistant unless stated.",
    ),
    CategorySpec(
        "seeds-bulbs",
        "Seeds & Bulbs",
        "Seeds and bulbs chosen for small gardens and balconies.",
        (
            "Tomato Seeds",
            "Basil Seeds",
            "Tulip Bulbs",
            "Wildflower Mix",
            "Sweet Pea Seeds",
            "Garlic Bulbs",
            "Salad Leaf Seeds",
        ),
        ("Heritage", "Organic", "Dwarf", "Climbing", "Early"),
        (2.5, 19),
        "Tested for germination; sowing instructions on the pack.",
    ),
    CategorySpec(
        "outdoor-living",
        "Outdoor Living",
        "Furniture, cushions and fire for long summer evenings.",
        (
            "Garden Chair",
            "Bistro Table",
            "Hammock",
            "Outdoor Cushion",
            "Fire Bowl",
            "Deck Chair",
            "Bench",
        ),
        ("Teak", "Acacia", "Powder-coated", "Canvas", "Rope"),
        (25, 420),
        "Weather-resistant and easy to bring in for winter.",
    ),
    CategorySpec(
        "bird-wildlife",
        "Birds & Wildlife",
        "Feeders, boxes and baths to bring the garden to life.",
        ("Bird Feeder", "Nest Box", "Bird Bath", "Bee Hotel", "Seed Feeder", "Hedgehog House"),
        ("Cedar", "Ceramic", "Recycled", "Copper-roof", "Willow"),
        (8, 75),
        "Designed with wildlife charities' guidance; easy to clean.",
    ),
    CategorySpec(
        "plant-care",
        "Plant Care",
        "Feeds, mixes and supports for healthy plants.",
        ("Plant Food", "Mister", "Potting Mix", "Plant Supports", "Leaf Shine", "Seed Compost"),
        ("Organic", "Peat-free", "Seaweed", "Brass", "Bamboo"),
        (3.5, 32),
        "Gentle on plants and soil life; safe around pets when used as directed.",
    ),
)

# Complementary category pairs (both directions are used).
PAIRS: tuple[tuple[str, str], ...] = (
    ("cookware", "kitchen-textiles"),
    ("coffee-tea", "tableware"),
    ("candles", "home-fragrance"),
    ("bedding", "bath"),
    ("garden-tools", "plant-care"),
    ("planters", "plant-care"),
    ("planters", "seeds-bulbs"),
    ("seeds-bulbs", "garden-tools"),
    ("outdoor-living", "lighting"),
    ("bird-wildlife", "outdoor-living"),
    ("storage", "bath"),
)

COLLECTIONS = (
    "Harlow",
    "Brae",
    "Fenwick",
    "Aldous",
    "Marlow",
    "Kestrel",
    "Orla",
    "Thistle",
    "Wren",
    "Calder",
    "Ashby",
    "Linden",
    "Moss",
    "Hollis",
    "Fern",
    "Garnet",
    "Isla",
    "Juniper",
    "Larch",
    "Nettle",
    "Otley",
    "Pippin",
    "Quill",
    "Rowan",
    "Sorrel",
    "Tansy",
    "Umber",
    "Vale",
    "Willow",
    "Yarrow",
)
SIZES = ("", "", "", "Small ", "Large ", "Mini ")


@dataclass
class ProductSpec:
    title: str
    slug: str
    description: str
    price: Decimal
    stock: int
    published: bool
    category: int  # index into CATEGORIES
    created_at: datetime


def _price(rng: np.random.Generator, low: float, high: float) -> Decimal:
    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    if value < 10:
        return Decimal(f"{round(value * 2) / 2:.2f}")
    ending = rng.choice([0.0, 0.5, 0.95], p=[0.45, 0.2, 0.35])
    return Decimal(f"{int(value) + ending:.2f}")


def generate_products(rng: np.random.Generator, count: int, now: datetime) -> list[ProductSpec]:
    """`count` distinct products spread over every category, deterministic for the generator."""
    n_cat = len(CATEGORIES)
    share = rng.dirichlet(np.full(n_cat, 8.0))
    per_cat = np.maximum(1, np.floor(share * count).astype(int))
    while per_cat.sum() < count:
        per_cat[rng.integers(n_cat)] += 1
    while per_cat.sum() > count:
        per_cat[int(np.argmax(per_cat))] -= 1
    # Ages: most of the catalog is older, a steady trickle of new arrivals.
    ages = np.concatenate(
        [rng.uniform(0, 21, size=count // 8 + 1), rng.uniform(21, 540, size=count)]
    )
    rng.shuffle(ages)
    products: list[ProductSpec] = []
    seen: set[str] = set()
    for ci, spec in enumerate(CATEGORIES):
        combos = len(COLLECTIONS) * len(spec.materials) * len(spec.nouns)
        picks = rng.choice(combos, size=min(int(per_cat[ci]), combos), replace=False)
        for pick in picks:
            col, rest = divmod(int(pick), len(spec.materials) * len(spec.nouns))
            mat, noun = divmod(rest, len(spec.nouns))
            size = SIZES[int(rng.integers(len(SIZES)))]
            title = f"{COLLECTIONS[col]} {size}{spec.materials[mat]} {spec.nouns[noun]}"
            slug = slugify(title)
            if slug in seen:
                continue
            seen.add(slug)
            roll = rng.random()
            stock = (
                0
                if roll < 0.07
                else int(rng.integers(1, 6))
                if roll < 0.17
                else int(rng.integers(6, 120))
            )
            products.append(
                ProductSpec(
                    title=title,
                    slug=slug,
                    description=(
                        f"The {COLLECTIONS[col]} {spec.nouns[noun].lower()} in {spec.materials[mat].lower()}. "
                        f"{spec.blurb}\n\nPart of our {spec.name.lower()} range: {spec.description.lower()}"
                    ),
                    price=_price(rng, *spec.price_range),
                    stock=stock,
                    published=bool(rng.random() > 0.02),
                    category=ci,
                    created_at=now
                    - timedelta(days=float(ages[len(products)]), minutes=int(rng.integers(1440))),
                )
            )
    return products
