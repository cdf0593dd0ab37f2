"""An editor previews a segment on a page whose 'Content per segment' block is lazy: the
variant htmx loads is the previewed segment's, not the editor's own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.segments.test_blocks import DEFAULT, LOYAL, variants_block

pytestmark = pytest.mark.browser


def test_an_editor_previews_a_segment_on_a_lazy_block(small_store: Any, page: Any) -> None:
    from django.contrib.auth.models import User
    from shop.models import HomePage

    from personalization_plugin.segments import slots

    home = HomePage.objects.get(slug="home")
    home.body = json.dumps([variants_block(lazy=True)])
    home.save_revision().publish()
    slots.forget()
    User.objects.create_superuser("editor", password="pw-editor-1")

    page.goto(small_store.url + "/accounts/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("pw-editor-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")

    page.goto(small_store.url + "/?sp_preview_segment=loyal")
    page.get_by_text(LOYAL).wait_for(timeout=15_000)
    assert page.get_by_text(DEFAULT).count() == 0
    assert page.locator(".sp-segment-slot").count() == 0  # the placeholder was swapped


def test_an_editor_previewing_a_segment_sees_its_pin_in_a_lazy_widget(
    small_store: Any, page: Any
) -> None:
    """A pin limited to the VIP segment leads the lazy trending list for an editor who
    previews the page as a VIP; without the preview the same editor's list is unchanged."""
    from django.contrib.auth.models import User
    from shop.models import Product

    from personalization_plugin.models import MerchandisingRule
    from personalization_plugin.segments import engine
    from personalization_plugin.segments.models import Segment
    from personalization_plugin.serving import clear_caches

    User.objects.create_superuser("editor", password="pw-editor-1")
    page.goto(small_store.url + "/accounts/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("pw-editor-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")

    def trending(url: str) -> list[str | None]:
        page.goto(small_store.url + url)
        page.locator('[data-sp-lazy="trending"]').scroll_into_view_if_needed()
        item = 'ul[data-sp-placement="trending"] a[data-sp-product]'
        page.wait_for_selector(item, timeout=15_000)
        return [a.get_attribute("data-sp-product") for a in page.locator(item).all()]

    before = trending("/")
    # The page shows each product once, so the pin moves the list's last item to its top.
    target = Product.objects.get(pk=before[-1])
    Segment.objects.create(slug="vip", name="VIP", rules={"rule": "repeat_buyer"})
    engine.forget_definitions()
    MerchandisingRule.objects.create(
        action="pin",
        target_type="product",
        target_id=str(target.pk),
        placement="trending",
        position=1,
        segment="vip",
    )
    clear_caches()
    assert len(before) > 1 and before[0] != str(target.pk)
    assert trending("/?sp_preview_segment=vip")[0] == str(target.pk)
    assert trending("/") == before
