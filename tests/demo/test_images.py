"""Product pictures: valid SVG for every category, stable per product, distinct between products."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from shop.demo.catalog import CATEGORIES
from shop.images import product_svg
from shop.models import Category, Product


@pytest.mark.parametrize("slug", [c.slug for c in CATEGORIES] + ["unknown-category"])
def test_every_category_motif_is_well_formed_svg(db, slug):
    category = Category.objects.create(name=slug.title(), slug=slug)
    product = Product.objects.create(
        title="Thing", slug=f"thing-{slug}", price=1, category=category
    )
    root = ElementTree.fromstring(product_svg(product))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("aria-label") == "Illustration of Thing"


def test_different_products_get_different_pictures(make_product):
    first, second = make_product(), make_product()
    assert product_svg(first) != product_svg(second)
