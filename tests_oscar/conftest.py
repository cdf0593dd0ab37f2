"""Fixtures for the Oscar test project: a small real Oscar catalogue and clean plugin state."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from personalization_plugin.serving import clear_caches
from personalization_plugin.tracking.testing import reset_tracking_state


@pytest.fixture(autouse=True)
def _clean_plugin_state(db: Any) -> Iterator[None]:
    """Every test starts with empty buffers, real-time state and caches."""
    from django.core.cache import cache

    def reset() -> None:
        reset_tracking_state()  # nothing buffered by one test may reach another's database
        clear_caches()
        cache.clear()

    reset()
    yield
    reset()


@pytest.fixture(scope="session", autouse=True)
def _remove_temp_dirs() -> Iterator[None]:
    yield
    shutil.rmtree(settings.PERSONALIZATION["MODEL_DIR"], ignore_errors=True)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@dataclass
class OscarStore:
    """Builds catalogue rows the way an Oscar shop owner would, through Oscar's models."""

    product_class: Any = None
    partner: Any = None
    categories: dict[str, Any] = field(default_factory=dict)

    def category(self, name: str) -> Any:
        from oscar.apps.catalogue.categories import create_from_breadcrumbs

        if name not in self.categories:
            self.categories[name] = create_from_breadcrumbs(name)
        return self.categories[name]

    def product(
        self,
        title: str,
        *,
        price: str | None = "10.00",
        stock: int | None = 50,
        category: str = "Chairs",
        public: bool = True,
        parent: Any = None,
    ) -> Any:
        from oscar.core.loading import get_model

        product_model = get_model("catalogue", "Product")
        stock_model = get_model("partner", "StockRecord")
        structure = "child" if parent is not None else "standalone"
        product = product_model.objects.create(
            title=title,
            product_class=None if parent is not None else self.product_class,
            structure=structure,
            parent=parent,
            is_public=public,
        )
        if parent is None:
            get_model("catalogue", "ProductCategory").objects.create(
                product=product, category=self.category(category)
            )
        if price is not None:
            stock_model.objects.create(
                product=product,
                partner=self.partner,
                partner_sku=f"sku-{product.pk}",
                price=Decimal(price),
                price_currency="GBP",
                num_in_stock=stock,
            )
        return product

    def parent(self, title: str, category: str = "Chairs") -> Any:
        from oscar.core.loading import get_model

        product = get_model("catalogue", "Product").objects.create(
            title=title, product_class=self.product_class, structure="parent"
        )
        get_model("catalogue", "ProductCategory").objects.create(
            product=product, category=self.category(category)
        )
        return product


@pytest.fixture
def store(db: Any) -> OscarStore:
    from oscar.core.loading import get_model

    product_class = get_model("catalogue", "ProductClass").objects.create(
        name="Furniture", requires_shipping=False, track_stock=True
    )
    partner = get_model("partner", "Partner").objects.create(name="Warehouse")
    return OscarStore(product_class=product_class, partner=partner)


def pytest_configure(config: Any) -> None:
    # Oscar's haystack simple backend warns on every product save; it indexes nothing by design.
    config.addinivalue_line("filterwarnings", "ignore:update is not implemented:UserWarning")
