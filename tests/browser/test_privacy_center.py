"""A shopper finds the privacy center from the footer, downloads their data, turns
personalization off and forgets themselves: with JavaScript (htmx swaps the center in
place) and without it (plain forms, POST-redirect-GET)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from tests.browser.conftest import SHOPPER_USER_AGENT

pytestmark = pytest.mark.browser


def _stored() -> int:
    get_backend().flush()
    return Event.objects.count()


def _wait_for_events() -> None:
    deadline = time.monotonic() + 10
    while _stored() == 0:
        assert time.monotonic() < deadline, "the product views were not recorded"
        time.sleep(0.2)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_a_shopper_controls_their_data_from_the_footer(
    small_store: Any, browser: Any, artifacts: Path, javascript: bool
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        java_script_enabled=javascript,
        accept_downloads=True,
        user_agent=SHOPPER_USER_AGENT,  # "HeadlessChrome" is dropped at intake as a crawler
    )
    page = context.new_page()
    base = small_store.url
    page.goto(base + "/products/candle-1/")
    page.goto(base + "/products/candle-2/")
    _wait_for_events()

    page.get_by_role("link", name="Privacy center").click()
    center = page.get_by_role("region", name="Your privacy")
    # the click starts a navigation; "load" of the product page may still be the state
    center.get_by_role("heading", name="What we store about you").wait_for()
    assert center.get_by_role("heading", name="What we store about you").is_visible()
    assert center.get_by_text("2 products viewed").is_visible()
    page.screenshot(
        path=str(artifacts / f"privacy-center-{page_kind(javascript)}.png"), full_page=True
    )

    with page.expect_download() as download_info:
        center.get_by_role("link", name="Download my data (JSON)").click()
    exported = json.loads(Path(download_info.value.path()).read_text())
    assert len(exported["events"]) == _stored()
    assert [e["type"] for e in exported["events"]].count("view") == 2

    center.get_by_role("button", name="Show me less").first.click()
    status = page.locator("#sp-privacy-status")
    status.get_by_text("we will not suggest products from that category").wait_for()
    assert page.get_by_text("(not suggested)").is_visible()

    page.get_by_role("button", name="Turn personalization off").click()
    status.get_by_text("Personalization is off. We deleted").wait_for()
    assert _stored() == 0
    if javascript:  # htmx swapped the center in place: focus moves to the outcome
        # (the focus moves just after the swap settles: wait for it, a loaded machine is slow)
        page.wait_for_function(
            "document.activeElement && document.activeElement.id === 'sp-privacy-status'",
            timeout=5000,
        )
    page.get_by_role("button", name="Turn personalization on").click()
    status.get_by_text("Personalization is on.").wait_for()

    page.goto(base + "/products/candle-3/")
    _wait_for_events()
    page.get_by_role("link", name="Privacy center").click()
    page.get_by_role("link", name="Forget me…").click()
    confirm = page.get_by_role("button", name="Yes, forget me")
    confirm.wait_for()
    assert page.get_by_text("Are you sure?").is_visible()
    stored = _stored()
    confirm.click()
    status.get_by_text(
        f"we deleted everything we had stored about you ({stored} records)"
    ).wait_for()
    assert _stored() == 0
    assert page.get_by_role("button", name="Turn personalization on").is_visible()
    context.close()


def page_kind(javascript: bool) -> str:
    return "htmx" if javascript else "no-js"


def test_forget_me_link_opened_in_a_browser_is_a_page_not_a_405(
    small_store: Any, page: Any
) -> None:
    response = page.goto(small_store.url + "/personalization/forget-me/")
    assert response.status == 200
    page.get_by_role("link", name="Open the privacy center").click()
    assert page.get_by_role("region", name="Your privacy").is_visible()
