"""An owner pins a product with the chooser and sees it first on the storefront."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
ITEM = 'ul[data-sp-placement="trending"] a[data-sp-product]'


def test_an_owner_pins_a_product_with_the_chooser_and_sees_it_on_the_storefront(
    small_store: Any, page: Any, artifacts: Path
) -> None:
    from django.contrib.auth.models import User
    from shop.models import Product

    from personalization_plugin.models import MerchandisingRule

    target = Product.objects.get(slug="candle-7")
    User.objects.create_superuser("owner", password="pw-owner-1")
    page.goto(small_store.url + "/admin/login/")
    page.fill('input[name="username"]', "owner")
    page.fill('input[name="password"]', "pw-owner-1")
    page.click('button[type="submit"]')
    page.wait_for_url(small_store.url + "/admin/")

    page.goto(small_store.url + "/admin/personalization/rules/new/")
    page.locator("#id_action").select_option("pin")
    page.locator("#id_target_type").select_option("product")
    page.get_by_label("Choose a product: search by title or id").fill("Candle 7")
    page.get_by_role("button", name="Choose Beeswax Candle 7").click()
    assert page.locator("#id_target_id").input_value() == str(target.pk)
    page.locator("#id_position").fill("1")
    page.screenshot(path=str(artifacts / "merchandising-chooser.png"), full_page=True)
    page.locator('footer button[type="submit"]').first.click()
    page.wait_for_load_state("load")
    assert MerchandisingRule.objects.get().target_id == str(target.pk)

    page.goto(small_store.url + "/")
    page.locator('[data-sp-lazy="trending"]').scroll_into_view_if_needed()
    page.wait_for_selector(ITEM, timeout=15_000)
    # A pin without a placement applies to every list; the page shows each product once
    # (the most specific widget keeps it), so the pinned product leads one of the lists.
    firsts = [
        ul.locator("a[data-sp-product]").first.get_attribute("data-sp-product")
        for ul in page.locator("ul[data-sp-placement]").all()
        if ul.locator("a[data-sp-product]").count()
    ]
    assert str(target.pk) in firsts, firsts
