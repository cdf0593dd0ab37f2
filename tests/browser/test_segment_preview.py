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
