"""Admin fixtures: a superuser, a staff user without the plugin's permissions, and one
with only the reports permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client


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
