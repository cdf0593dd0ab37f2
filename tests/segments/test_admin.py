"""The segment editor in the Wagtail admin: list, create, and validation messages."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from personalization_plugin.segments.engine import definitions
from personalization_plugin.segments.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", password="pw"))
    return client


def form(rules) -> dict:
    return {
        "name": "Cookware fans",
        "slug": "cookware-fans",
        "description": "",
        "enabled": "on",
        "priority": "5",
        "rules": rules if isinstance(rules, str) else json.dumps(rules),
    }


def test_list_shows_the_builtin_segments(admin_client):
    definitions()
    response = admin_client.get(reverse("personalization_segments:index"))
    assert response.status_code == 200
    assert "Loyal customers" in response.content.decode()


def test_create_form_shows_the_rule_reference(admin_client):
    html = admin_client.get(reverse("personalization_segments:add")).content.decode()
    assert "viewed_category" in html and "min_views=1" in html


def test_valid_rule_tree_creates_the_segment(admin_client):
    rules = {"rule": "viewed_category", "category": "cookware", "min_views": 3}
    response = admin_client.post(reverse("personalization_segments:add"), form(rules))
    assert response.status_code == 302
    assert Segment.objects.get(slug="cookware-fans").rules == rules


def test_invalid_rule_tree_is_shown_with_the_reason_and_not_saved(admin_client):
    rules = {"all": [{"rule": "viewed_category", "category": "cookware", "min_views": 0}]}
    response = admin_client.post(reverse("personalization_segments:add"), form(rules))
    assert response.status_code == 200
    assert "rules.all[0].min_views must be between 1 and 10000" in response.content.decode()
    assert not Segment.objects.filter(slug="cookware-fans").exists()


def test_malformed_json_is_rejected(admin_client):
    response = admin_client.post(reverse("personalization_segments:add"), form("{not json"))
    assert response.status_code == 200
    assert not Segment.objects.filter(slug="cookware-fans").exists()
