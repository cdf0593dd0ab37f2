"""Admin views through the test client, as the store owner (a superuser)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import ModelLogEntry

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.models import Event, MerchandisingRule, ModelVersion
from tests.experiments.factories import event, running_experiment

pytestmark = pytest.mark.django_db


def test_dashboard_renders_charts_from_events(admin_client_):
    now = timezone.now()
    Event.objects.bulk_create(
        [
            event("impression", "a", placement="for_you", at=now - timedelta(days=1))
            for _ in range(10)
        ]
        + [event("click", "a", placement="for_you", at=now - timedelta(days=1))]
        + [event("view", "b", at=now - timedelta(days=2))]
    )
    call_command("personalization_rollup", stdout=io.StringIO())
    html = admin_client_.get("/admin/personalization/?days=7").content.decode()
    assert html.count("<svg") >= 4
    assert "Events per day, last 7 days" in html
    assert "for_you" in html and "10.0%" in html  # 1 click / 10 impressions


def test_dashboard_shows_empty_states_without_data(admin_client_):
    html = admin_client_.get("/admin/personalization/").content.decode()
    assert "No data yet for this period." in html
    assert "No recommendation impressions recorded yet." in html


def test_models_page_shows_the_active_version(admin_client_):
    ModelVersion.objects.create(
        version="v-test-1",
        algorithm="als",
        path="/nowhere",
        is_active=True,
        training_seconds=2.5,
        metrics={"ndcg@10": 0.1234},
    )
    html = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "v-test-1" in html and "2.5 s" in html and "0.123" in html
    assert "Train now" in html


def test_model_actions_are_post_only(admin_client_):
    assert admin_client_.get("/admin/personalization/models/rollback/").status_code == 405


def test_rollback_without_an_earlier_model_says_so(admin_client_):
    response = admin_client_.post("/admin/personalization/models/rollback/", follow=True)
    assert "no earlier model version" in response.content.decode()


def test_evaluate_without_events_explains_what_is_missing(admin_client_):
    response = admin_client_.post("/admin/personalization/models/evaluate/", follow=True)
    assert "track more events first" in response.content.decode()


def test_unknown_model_action_is_an_error_message(admin_client_):
    response = admin_client_.post("/admin/personalization/models/explode/", follow=True)
    assert "Unknown model action" in response.content.decode()


def test_creating_a_rule_is_logged_and_served_without_retraining(admin_client_):
    response = admin_client_.post(
        "/admin/personalization/rules/new/",
        {
            "action": "exclude",
            "target_type": "category",
            "target_id": "candles",
            "placement": "",
            "position": 1,
            "strength": 1,
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = MerchandisingRule.objects.get()
    assert ModelLogEntry.objects.filter(action="wagtail.create", object_id=str(rule.pk)).exists()
    from personalization_plugin.serving.rules import live_rules

    assert [r.target_id for r in live_rules("for_you")] == ["candles"]


def test_rule_form_rejects_an_end_before_the_start(admin_client_):
    response = admin_client_.post(
        "/admin/personalization/rules/new/",
        {
            "action": "boost",
            "target_type": "category",
            "target_id": "mugs",
            "position": 1,
            "strength": 1,
            "starts_at": "2026-05-02 10:00",
            "ends_at": "2026-05-01 10:00",
        },
    )
    assert "The end must be after the start." in response.content.decode()
    assert not MerchandisingRule.objects.exists()


def test_rule_form_rejects_pinning_a_category(admin_client_):
    response = admin_client_.post(
        "/admin/personalization/rules/new/",
        {
            "action": "pin",
            "target_type": "category",
            "target_id": "mugs",
            "position": 1,
            "strength": 1,
        },
    )
    assert "Only a product can be pinned" in response.content.decode()


def test_rules_list_filters_by_action(admin_client_):
    MerchandisingRule.objects.create(
        action="exclude", target_type="category", target_id="aaa-excluded"
    )
    MerchandisingRule.objects.create(
        action="boost", target_type="category", target_id="bbb-boosted"
    )
    html = admin_client_.get("/admin/personalization/rules/?action=boost").content.decode()
    assert "bbb-boosted" in html and "aaa-excluded" not in html


# The experiment page and its actions: tests/admin/test_experiment_page.py


def test_saving_settings_overrides_personalization_at_once(admin_client_):
    assert plugin_settings.MMR_LAMBDA == 0.8
    url = "/admin/settings/personalization/personalizationsettings/"
    edit = admin_client_.get(url, follow=True).redirect_chain[-1][0]
    response = admin_client_.post(
        edit,
        {
            "mmr_lambda": "0.5",
            "sensitive_categories": "health, adult",
            "enabled": "",
            "consent_mode": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert plugin_settings.MMR_LAMBDA == 0.5
    assert plugin_settings.SENSITIVE_CATEGORIES == ["health", "adult"]
    assert plugin_settings.MAX_CATEGORY_SHARE == 0.5  # untouched: settings.py default


def test_activating_a_malformed_version_id_is_an_error_message(admin_client_):
    response = admin_client_.post(
        "/admin/personalization/models/activate/", {"version": "abc"}, follow=True
    )
    assert "does not exist" in response.content.decode()


def test_a_started_experiment_keeps_its_split(admin_client_):
    experiment = running_experiment(holdout_percent=10)
    response = admin_client_.post(
        f"/admin/personalization/experiments/edit/{experiment.pk}/",
        {
            "name": "Renamed",
            "placement": "for_you",
            "control_strategy": "baseline",
            "treatment_strategy": "personalized",
            "holdout_percent": 40,
            "attribution_days": 7,
        },
    )
    assert "create a new one to change this" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.holdout_percent == 10
