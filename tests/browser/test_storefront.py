"""A shopper in a real browser: lazy widgets fill, clicks are recorded, the next page
reflects them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend

pytestmark = pytest.mark.browser

FOR_YOU_ITEM = 'ul[data-sp-placement="for_you"] a[data-sp-product]'


def _wait_for_event(**filters: Any) -> Event:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        get_backend().flush()
        event = Event.objects.filter(**filters).first()
        if event is not None:
            return event
        time.sleep(0.2)
    raise AssertionError(f"No event matching {filters} was recorded within 10 s.")


def test_widgets_fill_and_a_click_is_recorded_and_remembered(
    seeded_store: Any, page: Any, artifacts: Path
) -> None:
    base = seeded_store.url
    from shop.models import Product

    # "Picked for you" is only for a shopper with history: one product view first.
    page.goto(base + Product.objects.published().first().get_absolute_url())
    page.goto(base + "/")
    page.wait_for_selector(FOR_YOU_ITEM, timeout=15_000)
    assert page.locator('section[hx-get][data-sp-lazy="for_you"]').count() == 0
    page.screenshot(path=str(artifacts / "home-widgets.png"), full_page=True)

    link = page.locator(FOR_YOU_ITEM).nth(1)
    product_id = link.get_attribute("data-sp-product")
    position = int(link.get_attribute("data-sp-position"))
    listing = page.locator('ul[data-sp-placement="for_you"]')
    recommendation_id = listing.get_attribute("data-sp-recommendation-id")
    model_version = listing.get_attribute("data-sp-model-version")
    title = link.locator(".sp-item__title").inner_text()
    link.click()
    page.wait_for_load_state("load")

    click = _wait_for_event(type="click", placement="for_you", product_id=product_id)
    assert click.position == position
    assert click.model_version == model_version
    assert click.payload["recommendation_id"] == recommendation_id
    impression = _wait_for_event(type="impression", placement="for_you")
    assert impression.payload["recommendation_id"] == recommendation_id
    seen = list(
        Event.objects.filter(type="impression", placement="for_you").values_list(
            "product_id", "position"
        )
    )
    assert len(seen) == len(set(seen)), "each item counts one impression per page view"

    page.goto(base + "/")
    # Lazy widgets below the fold load when scrolled into view.
    page.locator('[data-sp-lazy="recently_viewed"]').scroll_into_view_if_needed()
    recent = f'ul[data-sp-placement="recently_viewed"] a[data-sp-product="{product_id}"]'
    page.wait_for_selector(recent, timeout=15_000)
    # for_you now follows the click: its reasons point at the product just viewed.
    reasons = page.locator('ul[data-sp-placement="for_you"] .sp-item__reason').all_inner_texts()
    assert any(title in reason for reason in reasons), reasons
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_selector('ul[data-sp-placement="trending"] a[data-sp-product]', timeout=15_000)
    page.screenshot(path=str(artifacts / "home-after-click.png"), full_page=True)
