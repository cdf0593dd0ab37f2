"""A real Chromium set to German: the consent banner and the lazy widgets' prices are
German, and accepting the German banner works like the English one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SHOPPER_USER_AGENT, artifacts, browser, small_store  # noqa: F401

pytestmark = pytest.mark.browser

ITEM = 'ul[data-sp-placement="trending"] a[data-sp-product]'


@pytest.fixture
def german_page(browser: Any) -> Iterator[Any]:  # noqa: F811
    """Chromium with a German UI language, so it sends Accept-Language: de-DE."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="de-DE", user_agent=SHOPPER_USER_AGENT
    )
    page = context.new_page()
    yield page
    context.close()


def test_german_shopper_sees_and_accepts_a_german_banner_and_german_prices(
    small_store: Any,  # noqa: F811
    german_page: Any,
    personalization: Any,
    artifacts: Path,  # noqa: F811
) -> None:
    personalization(CONSENT_MODE="required")
    german_page.goto(small_store.url + "/")
    banner = german_page.get_by_role("region", name="Dürfen wir uns merken")
    assert banner.is_visible()
    german_page.locator('[data-sp-lazy="trending"]').scroll_into_view_if_needed()
    german_page.wait_for_selector(ITEM, timeout=15_000)
    price = german_page.locator('ul[data-sp-placement="trending"] .sp-item__price').first
    assert re.fullmatch(r"\d+,\d{2}\s€", price.inner_text()), price.inner_text()  # "10,50 €"
    german_page.screenshot(path=str(artifacts / "consent-banner-de.png"))

    german_page.get_by_role("button", name="Ja, personalisieren").click()
    german_page.wait_for_load_state("load")
    assert german_page.get_by_role("region", name="Dürfen wir uns merken").count() == 0
    assert german_page.evaluate("window.storefrontTracker.allowed()") is True
