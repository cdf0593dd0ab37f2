"""PERSONALIZATION settings: defaults, overrides and resolution."""

from personalization_plugin.core.conf import DEFAULTS, plugin_settings


def test_defaults_fill_in_unset_values() -> None:
    assert plugin_settings.RETENTION_DAYS == DEFAULTS["RETENTION_DAYS"]


def test_override_is_seen_after_settings_change(personalization) -> None:
    personalization(RETENTION_DAYS=30)
    assert plugin_settings.RETENTION_DAYS == 30


def test_event_weights_merge_with_defaults(personalization) -> None:
    personalization(EVENT_WEIGHTS={"view": 0.5})
    assert plugin_settings.EVENT_WEIGHTS["view"] == 0.5
    assert plugin_settings.EVENT_WEIGHTS["purchase"] == DEFAULTS["EVENT_WEIGHTS"]["purchase"]


def test_backend_is_local_without_redis_url() -> None:
    assert plugin_settings.event_backend == "local"


def test_backend_is_redis_with_redis_url(use_redis) -> None:
    assert plugin_settings.event_backend == "redis"
