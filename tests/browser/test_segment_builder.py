"""An owner builds a segment with the builder in the Wagtail admin and sees its live count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.segments.factories import orders

pytestmark = pytest.mark.browser


def test_an_owner_builds_a_segment_and_sees_its_live_count(
    small_store: Any, page: Any, artifacts: Path
) -> None:
    from django.contrib.auth.models import User

    from personalization_plugin.segments import builder
    from personalization_plugin.segments.models import Segment

    builder.forget_population()
    for customer, days in {"1": [1, 10, 20], "2": [3], "3": [5, 9]}.items():
        orders(customer, days)
    User.objects.create_superuser("owner", password="pw-owner-1")

    page.goto(small_store.url + "/admin/login/")
    page.fill('input[name="username"]', "owner")
    page.fill('input[name="password"]', "pw-owner-1")
    page.click('button[type="submit"]')
    page.wait_for_url(small_store.url + "/admin/")
    page.goto(small_store.url + "/admin/personalization/segments/new/")
    page.get_by_label("Name").first.fill("Two orders or more")
    page.locator("#id_slug").fill("two-plus")

    preview = page.locator("#sp-builder-preview")
    page.get_by_role("button", name="Add a rule", exact=True).click()
    page.locator("#sb-0-kind").wait_for()
    # htmx wires the swapped-in builder as it settles; a change fired before that is not
    # sent (a person cannot pick an option within those milliseconds; Playwright can)
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )
    page.locator("#sb-0-kind").select_option("loyal")
    page.locator("#sb-0-p-min_orders").wait_for()
    page.locator("#sb-0-p-min_orders").fill("2")
    page.locator("#sb-0-p-min_orders").press("Tab")
    preview.get_by_text("2 of 3 shoppers match now.").wait_for(timeout=15_000)
    assert "customer 1" in preview.inner_text() and "customer 3" in preview.inner_text()
    page.screenshot(path=str(artifacts / "segment-builder.png"), full_page=True)

    page.locator("#sb-0-p-min_orders").fill("3")
    page.locator("#sb-0-p-min_orders").press("Tab")
    preview.get_by_text("1 of 3 shoppers match now.").wait_for(timeout=15_000)

    page.locator('footer button[type="submit"]').first.click()
    page.wait_for_load_state("load")
    assert Segment.objects.get(slug="two-plus").rules == {
        "all": [{"rule": "loyal", "min_orders": 3}]
    }
