"""The merchandising form's product chooser searches the store adapter's catalog."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db
CHOOSE = "/admin/personalization/products/choose/"


@pytest.fixture
def products():
    from shop.models import Category, Product

    lamps = Category.objects.create(name="Lamps", slug="lamps")
    make = lambda title, **kw: Product.objects.create(  # noqa: E731
        title=title, slug=title.lower().replace(" ", "-"), price=Decimal("20"), category=lamps, **kw
    )
    return [
        make("Brass Desk Lamp", stock=3),
        make("Paper Floor Lamp", stock=0),
        make("Rug", stock=1),
    ]


def test_the_chooser_finds_products_by_part_of_their_title(admin_client_, products):
    html = admin_client_.get(CHOOSE, {"q": "lamp"}).content.decode()
    assert "Brass Desk Lamp" in html and "Paper Floor Lamp" in html and "Rug" not in html


def test_the_chooser_finds_a_product_by_its_id(admin_client_, products):
    html = admin_client_.get(CHOOSE, {"q": str(products[2].pk)}).content.decode()
    assert f'data-product-id="{products[2].pk}"' in html


def test_an_unavailable_product_is_marked_as_not_pinnable(admin_client_, products):
    html = admin_client_.get(CHOOSE, {"q": "paper"}).content.decode()
    assert "out of stock or unpublished: cannot be pinned" in html


def test_no_match_says_so(admin_client_, products):
    assert "No product matches “sofa”." in admin_client_.get(CHOOSE, {"q": "sofa"}).content.decode()


def test_the_chooser_needs_permission_to_edit_merchandising(staff_client, products):
    response = staff_client.get(CHOOSE, {"q": "lamp"})
    assert "Brass Desk Lamp" not in response.content.decode()


def test_the_rule_form_carries_the_chooser(admin_client_, products):
    html = admin_client_.get("/admin/personalization/rules/new/").content.decode()
    assert 'hx-get="/admin/personalization/products/choose/"' in html
