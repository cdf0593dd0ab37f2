"""docs/custom-store.md, executed: its code blocks become the store's modules, settings,
URLs and template, and a shopper then walks through the store they wire up."""

from __future__ import annotations

import re
import sys
import types
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from shop.models import Category, Order, OrderLine, Product

from personalization_plugin.engine import registry
from personalization_plugin.models import Event
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.backends import get_backend

DOC = Path(__file__).resolve().parents[2] / "docs" / "custom-store.md"
BLOCK = re.compile(r"```(python|django)\n(.*?)```", re.S)

pytestmark = pytest.mark.django_db


def doc_blocks() -> dict[str, str]:
    """Code blocks of the doc by the file named on their first line."""
    blocks = {}
    for _, code in BLOCK.findall(DOC.read_text()):
        first = code.splitlines()[0]
        name = re.sub(r"^(#|\{#)\s*|\s*#\}$", "", first).strip()
        blocks[name] = code
    return blocks


def install_module(monkeypatch: pytest.MonkeyPatch, dotted: str, code: str) -> types.ModuleType:
    """Exec `code` as module `dotted` for this test (restored afterwards)."""
    module = types.ModuleType(dotted)
    module.__file__ = str(DOC)
    monkeypatch.setitem(sys.modules, dotted, module)
    package, _, attr = dotted.rpartition(".")
    if package:
        monkeypatch.setattr(sys.modules[package], attr, module, raising=False)
    exec(compile(code, f"{DOC.name}:{dotted}", "exec"), module.__dict__)
    return module


@pytest.fixture
def store(settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> types.ModuleType:
    """The store as the doc wires it: its settings, adapter, views, URLs and template."""
    blocks = doc_blocks()
    assert set(blocks) == {
        "settings.py",
        "shop/personalization.py",
        "urls.py",
        "shop/views.py",
        "templates/store/product.html",
    }
    config: dict[str, Any] = {"INSTALLED_APPS": [], "MIDDLEWARE": []}
    exec(blocks["settings.py"], config)
    assert set(config["INSTALLED_APPS"]) <= set(django_settings.INSTALLED_APPS)
    assert set(config["MIDDLEWARE"]) <= set(django_settings.MIDDLEWARE)
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        **config["PERSONALIZATION"],
        "MODEL_DIR": str(tmp_path / "models"),
        "FACTORS": 8,
        "ITERATIONS": 5,
    }
    install_module(monkeypatch, "shop.personalization", blocks["shop/personalization.py"])
    views = install_module(monkeypatch, "shop.views", blocks["shop/views.py"])
    install_module(monkeypatch, "walkthrough_urls", blocks["urls.py"])
    settings.ROOT_URLCONF = "walkthrough_urls"
    template = tmp_path / "templates" / "store" / "product.html"
    template.parent.mkdir(parents=True)
    template.write_text(blocks["templates/store/product.html"])
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    registry.reset()
    yield views
    registry.reset()


@pytest.fixture
def products() -> dict[str, Product]:
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen")
    made = {}
    for title in ("Teapot", "Tea Cups", "Kettle", "Toaster", "Bread Bin", "Butter Dish"):
        made[title] = Product.objects.create(
            title=title,
            slug=title.lower().replace(" ", "-"),
            price=Decimal("12.00"),
            stock=100,
            category=kitchen,
        )
    return made


def checkout_with(views: types.ModuleType, client: Client, items: list[Product]) -> None:
    """The store's own checkout code, which the doc leaves to the reader."""

    def place_order_from_cart(request: Any) -> Order:
        order = Order.objects.create(number=f"W{Order.objects.count() + 1}", currency="EUR")
        for product in items:
            OrderLine.objects.create(
                order=order,
                product=product,
                title=product.title,
                quantity=1,
                unit_price=product.price,
            )
        return order

    views.place_order_from_cart = place_order_from_cart
    assert client.post("/checkout/").status_code == 302


def test_the_adapter_from_the_doc_is_the_configured_one(store) -> None:
    from personalization_plugin.adapters import get_adapter

    assert type(get_adapter()).__module__ == "shop.personalization"


def test_the_adapter_from_the_doc_returns_products_by_id(store, products) -> None:
    from personalization_plugin.adapters import get_adapter

    teapot = products["Teapot"]
    found = get_adapter().get_products([str(teapot.pk), "nope"])
    assert list(found) == [str(teapot.pk)]
    assert found[str(teapot.pk)].url == "/products/teapot/"
    assert sum(len(b) for b in get_adapter().iter_products(batch_size=4)) == 6


def test_views_from_the_doc_track_view_cart_and_order(store, products) -> None:
    client = Client()
    teapot, cups = products["Teapot"], products["Tea Cups"]
    assert client.get("/products/teapot/").status_code == 200
    assert client.post(f"/cart/add/{teapot.pk}/").status_code == 302
    checkout_with(store, client, [teapot, cups])
    get_backend().flush()

    types_seen = list(Event.objects.order_by("pk").values_list("type", "product_id"))
    assert types_seen == [
        ("view", str(teapot.pk)),
        ("cart_add", str(teapot.pk)),
        ("purchase", str(teapot.pk)),
        ("purchase", str(cups.pk)),
    ]
    assert Event.objects.values("visitor_id").distinct().count() == 1


def test_the_template_from_the_doc_renders_the_widgets(store, products) -> None:
    html = Client().get("/products/teapot/").content.decode()
    assert "<h1>Teapot</h1>" in html
    assert 'data-sp-lazy="bought_together"' in html
    assert 'aria-label="Often bought together"' in html
    assert 'data-sp-lazy="similar"' in html
    assert "storefront_widgets/htmx.min.js" in html


def test_import_and_train_from_the_doc_give_bought_together(store, products) -> None:
    from django.core.management import call_command

    teapot, cups = products["Teapot"], products["Tea Cups"]
    others = [products[t] for t in ("Kettle", "Toaster", "Bread Bin", "Butter Dish")]
    for n in range(6):
        order = Order.objects.create(number=f"H{n}", currency="EUR")
        pair = [teapot, cups] if n % 2 == 0 else [others[n % 4], others[(n + 1) % 4]]
        for product in pair:
            OrderLine.objects.create(
                order=order,
                product=product,
                title=product.title,
                quantity=1,
                unit_price=product.price,
            )
    call_command("personalization_import", "--no-progress", stdout=StringIO())
    call_command("personalization_train", "--no-progress", stdout=StringIO())

    result = recommend("bought_together", product_id=str(teapot.pk), limit=3)
    assert result.model_version
    assert result.items[0].product.id == str(cups.pk)
