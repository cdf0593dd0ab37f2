"""Owner settings override PERSONALIZATION through a short-lived, save-invalidated overlay."""

from __future__ import annotations

import pytest

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.models import PersonalizationSettings


@pytest.mark.django_db
def test_empty_settings_leave_settings_py_in_charge():
    PersonalizationSettings.objects.create()
    assert plugin_settings.CONSENT_MODE == "implied"
    assert plugin_settings.MMR_LAMBDA == 0.8


@pytest.mark.django_db
def test_saved_values_apply_at_once():
    PersonalizationSettings.objects.create(
        consent_mode="required", enabled=False, discovery_every=4
    )
    assert plugin_settings.CONSENT_MODE == "required"
    assert plugin_settings.ENABLED is False
    assert plugin_settings.DISCOVERY_EVERY == 4


@pytest.mark.django_db
def test_owner_event_weights_merge_with_the_defaults():
    PersonalizationSettings.objects.create(event_weights={"purchase": 20})
    weights = plugin_settings.EVENT_WEIGHTS
    assert weights["purchase"] == 20
    assert weights["view"] == 1.0


@pytest.mark.django_db
def test_overlay_is_cached_between_saves(django_assert_num_queries):
    PersonalizationSettings.objects.create(mmr_lambda=0.3)
    assert plugin_settings.MMR_LAMBDA == 0.3
    with django_assert_num_queries(0):
        for _ in range(100):
            assert plugin_settings.MMR_LAMBDA == 0.3


@pytest.mark.django_db
def test_deleting_the_settings_restores_defaults():
    row = PersonalizationSettings.objects.create(retention_days=30)
    assert plugin_settings.RETENTION_DAYS == 30
    row.delete()
    assert plugin_settings.RETENTION_DAYS == 365


def test_settings_are_readable_without_database_access():
    plugin_settings.forget_overrides()
    assert plugin_settings.CONSENT_MODE == "implied"  # pytest-django blocks the DB here


@pytest.mark.django_db
def test_non_overridable_settings_ignore_the_overlay():
    PersonalizationSettings.objects.create(mmr_lambda=0.3)
    assert plugin_settings.KEY_PREFIX.startswith("sptest")


@pytest.mark.django_db
def test_bad_event_weights_are_refused_with_the_reason():
    from django.core.exceptions import ValidationError

    row = PersonalizationSettings(event_weights={"like": 3})
    with pytest.raises(ValidationError, match="'like' is not an event type"):
        row.full_clean()
