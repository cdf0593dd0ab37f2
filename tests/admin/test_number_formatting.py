"""Figures on the admin pages read as numbers for people: counts grouped in the owner's
language, metrics with three significant digits, never "547.0000" or "0.43951234"."""

from __future__ import annotations

import io
import math
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from personalization_plugin.models import Event, ModelVersion
from personalization_plugin.templatetags.personalization_numbers import count, seconds, sig3
from tests.experiments.factories import event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [("en", 12345, "12,345"), ("de", 12345, "12.345"), ("en", 547.0, "547"), ("en", 7, "7")],
)
def test_counts_are_whole_and_grouped_in_the_active_language(language, value, shown):
    with translation.override(language):
        assert count(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.30471, "0.305"), (0.0012345, "0.00123"), (12.3456, "12.3"), (4395.2, "4,395"), (0, "0")],
)
def test_metrics_keep_three_significant_digits(value, shown):
    with translation.override("en"):
        assert sig3(value) == shown


def test_what_is_not_a_number_is_shown_as_it_is():
    assert count("n/a") == "n/a" and sig3(None) is None and seconds("") == ""
    assert math.isnan(count(float("nan")))  # passes through unchanged
    assert sig3(float("inf")) == float("inf")


def test_durations_round_for_a_sentence():
    with translation.override("en"):
        assert seconds(2.4567) == "2.5" and seconds(25.7) == "26"


def test_the_dashboard_groups_its_counts(admin_client_):
    yesterday = timezone.now() - timedelta(days=1)
    Event.objects.bulk_create([event("view", f"v{k % 40}", at=yesterday) for k in range(1234)])
    call_command("personalization_rollup", stdout=io.StringIO())
    html = admin_client_.get("/admin/personalization/?days=7").content.decode()
    assert "<strong>1,234</strong>" in html and "1234" not in html.replace("1,234", "")
    from django.contrib.auth.models import User
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(User.objects.get(username="owner"))
    profile.preferred_language = "de"
    profile.save()
    german = admin_client_.get("/admin/personalization/?days=7").content.decode()
    assert 'lang="de"' in german
    assert "<strong>1.234</strong>" in german


def test_the_models_comparison_shows_three_significant_digits(admin_client_):
    ModelVersion.objects.create(
        version="v-cmp",
        algorithm="als",
        path="/nowhere",
        is_active=True,
        metrics={
            "ndcg@10": 0.43951234,
            "comparison_k": 10,
            "comparison": {
                "popularity": {
                    "ndcg@10": 0.123456,
                    "hit_rate@10": 0.5,
                    "recall@10": 0.0456789,
                    "coverage": 0.0123456,
                },
            },
        },
    )
    html = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "0.123" in html and "0.1235" not in html
    assert "0.0457" in html and "0.0123" in html
    assert "0.43951234" not in html
