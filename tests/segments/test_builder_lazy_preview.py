"""An editor's "show as segment" (`?sp_preview_segment=`) reaches lazy blocks too: the
placeholder passes it on to the slot partial, and only for users who may preview."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from .test_blocks import LOYAL, home  # noqa: F401

pytestmark = pytest.mark.django_db
PARTIAL = "/personalization/segments/slot/home_hero/"


def test_the_lazy_placeholder_passes_the_preview_segment_on(client, home) -> None:  # noqa: F811
    home(lazy=True)
    client.force_login(User.objects.create_superuser("ed", password="pw"))
    html = client.get("/?sp_preview_segment=loyal").content.decode()
    assert f'hx-get="{PARTIAL}?sp_preview_segment=loyal"' in html


def test_the_partial_then_renders_the_previewed_variant(client, home) -> None:  # noqa: F811
    home(lazy=True)
    client.force_login(User.objects.create_superuser("ed", password="pw"))
    assert LOYAL in client.get(PARTIAL + "?sp_preview_segment=loyal").content.decode()


def test_a_shopper_cannot_pass_a_preview_on(client, home) -> None:  # noqa: F811
    home(lazy=True)
    html = client.get("/?sp_preview_segment=loyal").content.decode()
    assert f'hx-get="{PARTIAL}"' in html
