"""The merchandising form's preview: the list as it would be served with the rule as typed,
for a chosen segment too, through the real `recommend()` over the demo store's catalog."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from personalization_plugin.models import MerchandisingRule

pytestmark = pytest.mark.django_db
URL = "/admin/personalization/rules/preview/"


@pytest.fixture
def products():
    from shop.models import Category, Product

    from personalization_plugin.serving import clear_caches

    mugs = Category.objects.create(name="Mugs", slug="mugs")
    made = [
        Product.objects.create(
            title=f"Mug {n}", slug=f"mug-{n}", price=Decimal("9"), category=mugs, stock=5
        )
        for n in range(1, 13)
    ]
    clear_caches()
    return made


@pytest.fixture
def vip():
    from personalization_plugin.segments.models import Segment

    return Segment.objects.create(slug="vip", name="VIP", rules={"rule": "repeat_buyer"})


def listed(html: str) -> list[str]:
    return re.findall(r'data-product-id="([^"]+)"', html)


def pin(product, position: int = 1, **extra: str) -> dict:
    return {
        "action": "pin",
        "target_type": "product",
        "target_id": str(product.pk),
        "placement": "trending",
        "position": str(position),
        "strength": "1",
        "enabled": "on",
        **extra,
    }


def test_the_preview_shows_an_unsaved_pin_at_its_position(admin_client_, products):
    last = products[-1]
    html = admin_client_.post(URL, pin(last, position=2)).content.decode()
    assert listed(html)[1] == str(last.pk)
    assert not MerchandisingRule.objects.exists()  # previewing saves nothing


def test_a_segment_pin_shows_for_that_segment_and_not_for_everyone(admin_client_, products, vip):
    last = products[-1]
    html = admin_client_.post(URL, pin(last, segment="vip")).content.decode()
    assert "for a shopper in “vip”" in html and listed(html)[0] == str(last.pk)
    MerchandisingRule.objects.create(
        action="pin", target_type="product", target_id=str(last.pk), segment="vip"
    )
    other = admin_client_.post(URL, pin(products[0], position=5)).content.decode()
    assert str(last.pk) not in listed(other)[:1]


def test_editing_a_rule_previews_the_edit_instead_of_the_saved_version(admin_client_, products):
    saved = MerchandisingRule.objects.create(
        action="pin", target_type="product", target_id=str(products[-1].pk), position=1
    )
    data = pin(products[-1], position=3) | {"sp-rule-pk": str(saved.pk)}
    html = admin_client_.post(URL, data).content.decode()
    assert listed(html).index(str(products[-1].pk)) == 2


def test_an_invalid_form_says_what_to_fix_and_shows_the_list_as_served(admin_client_, products):
    html = admin_client_.post(URL, pin(products[-1], position=0)).content.decode()
    assert "Fix the form to see the rule in the preview" in html
    assert "Positions start at 1" in html
    assert listed(html)  # the current list is still shown


def test_the_form_pages_carry_the_preview(admin_client_, products):
    html = admin_client_.get("/admin/personalization/rules/new/").content.decode()
    assert 'hx-post="/admin/personalization/rules/preview/"' in html


def test_staff_who_may_not_edit_rules_are_refused(staff_client, products):
    response = staff_client.post(URL, pin(products[0]))
    assert response.status_code in (302, 403) and not listed(response.content.decode())
