"""Admin fixtures: a superuser, a staff user without the plugin's permissions, and one
with only the reports permission."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

# The browser fixtures (seeded demo store, Debian's Chromium), shared with tests/browser.
from tests.browser.conftest import artifacts, browser, page, seeded_store  # noqa: F401


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(db: Any) -> Client:
    return _login(User.objects.create_superuser("owner", "owner@example.com", "pw"))


@pytest.fixture
def staff_client(db: Any) -> Client:
    """A Wagtail editor: may open the admin, holds none of the plugin's permissions."""
    user = User.objects.create_user("editor", "editor@example.com", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return _login(user)


@pytest.fixture
def analyst_client(db: Any) -> Client:
    """May see reports and experiments, but change nothing."""
    user = User.objects.create_user("analyst", "analyst@example.com", "pw", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_personalization"),
        Permission.objects.get(codename="view_experiment"),
    )
    return _login(user)


@pytest.fixture(autouse=True)
def _forget_cached_owner_state() -> Iterator[None]:
    """Rolled-back settings and experiments must not outlive their test in the
    per-process caches (a rollback sends no post_delete signal)."""
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.experiments import bucketing
    from personalization_plugin.reports import dashboard

    plugin_settings.forget_overrides()
    bucketing.forget()
    dashboard.forget()
    yield
    plugin_settings.forget_overrides()
    bucketing.forget()
    dashboard.forget()
