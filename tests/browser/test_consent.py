"""With CONSENT_MODE="required" the browser sends nothing until the shopper accepts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend

pytestmark = pytest.mark.browser

ITEM = 'ul[data-sp-placement="trending"] a[data-sp-product]'


def _stored(**filters: Any) -> int:
    get_backend().flush()
    return Event.objects.filter(**filters).count()


def test_nothing_is_sent_before_consent_and_clicks_count_after_accepting(
    small_store: Any, page: Any, personalization: Any, artifacts: Path
) -> None:
    personalization(CONSENT_MODE="required")
    beacons: list[str] = []
    page.on(
        "request",
        lambda r: beacons.append(r.url) if "/personalization/events/" in r.url else None,
    )
    page.goto(small_store.url + "/")
    banner = page.get_by_role("region", name="May we remember")
    assert banner.is_visible()
    page.locator('[data-sp-lazy="trending"]').scroll_into_view_if_needed()
    page.wait_for_selector(ITEM, timeout=15_000)
    page.screenshot(path=str(artifacts / "consent-banner.png"))
    assert page.evaluate("window.storefrontTracker.allowed()") is False
    page.evaluate("window.storefrontTracker.flush()")
    time.sleep(1.5)
    assert beacons == [] and _stored() == 0

    page.get_by_role("button", name="Yes, personalize").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("region", name="May we remember").count() == 0
    assert page.evaluate("window.storefrontTracker.allowed()") is True
    page.locator('[data-sp-lazy="trending"]').scroll_into_view_if_needed()
    link = page.locator(ITEM).first
    product_id = link.get_attribute("data-sp-product")
    link.click()
    page.wait_for_load_state("load")
    deadline = time.monotonic() + 10
    while _stored(type="click", product_id=product_id, placement="trending") == 0:
        assert time.monotonic() < deadline, "the click after consent was not recorded"
        time.sleep(0.2)
