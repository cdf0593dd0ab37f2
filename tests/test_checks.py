"""System checks for PERSONALIZATION: each problem has an id and a message that says how to fix it."""

from __future__ import annotations

import pytest

from personalization_plugin.checks import check_personalization_settings

VALID = {"ADAPTER": "tests.tracking.adapter.CatalogAdapter", "HASH_KEY": "test-hash-key"}


def run(settings, **values) -> list:
    settings.PERSONALIZATION = {**VALID, **values}
    return check_personalization_settings()


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def test_valid_settings_pass(settings) -> None:
    assert run(settings) == []


def test_test_settings_pass(settings) -> None:
    assert check_personalization_settings() == []


def test_typo_names_the_closest_key(settings) -> None:
    [error] = run(settings, RETENTON_DAYS=30)
    assert error.id == "personalization.E001"
    assert "RETENTON_DAYS" in error.msg and '"RETENTION_DAYS"' in error.hint


def test_settings_must_be_a_dict(settings) -> None:
    settings.PERSONALIZATION = ["ADAPTER"]
    assert ids(check_personalization_settings()) == ["personalization.E002"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("RETENTION_DAYS", "30"),
        ("BATCH_SIZE", 2.5),
        ("MMR_LAMBDA", "high"),
        ("ENABLED", "yes"),
        ("KEY_PREFIX", ""),
    ],
)
def test_wrong_types_are_errors(settings, key, value) -> None:
    messages = run(settings, **{key: value})
    assert ids(messages) == ["personalization.E003"]
    assert key in messages[0].msg


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("RETENTION_DAYS", 0, ">= 1"),
        ("BATCH_SIZE", 0, ">= 1"),
        ("MAX_CATEGORY_SHARE", 0, "> 0"),
        ("MAX_CATEGORY_SHARE", 1.5, "<= 1"),
        ("MMR_LAMBDA", -0.1, ">= 0"),
        ("MMR_LAMBDA", 1.1, "<= 1"),
        ("WARM_START_ITERATIONS", -1, ">= 0"),
        ("PRECOMPUTE_DAYS", -5, ">= 0"),
    ],
)
def test_out_of_range_values_say_the_range(settings, key, value, expected) -> None:
    [error] = run(settings, **{key: value})
    assert error.id == "personalization.E004"
    assert expected in error.msg


def test_boundary_values_are_accepted(settings) -> None:
    assert run(settings, MAX_CATEGORY_SHARE=1, MMR_LAMBDA=0, RETENTION_DAYS=1) == []


def test_consent_mode_must_be_known(settings) -> None:
    [error] = run(settings, CONSENT_MODE="opt-in")
    assert error.id == "personalization.E005" and '"required"' in error.hint


def test_event_weights_must_be_numbers_for_known_types(settings) -> None:
    messages = run(settings, EVENT_WEIGHTS={"veiw": 1.0, "purchase": "lots"})
    assert ids(messages) == ["personalization.E010", "personalization.E010"]
    assert '"view"' in messages[0].hint


def test_unimportable_adapter(settings) -> None:
    [error] = run(settings, ADAPTER="shop.nowhere.Adapter")
    assert error.id == "personalization.E006"


def test_adapter_without_protocol_methods(settings) -> None:
    [error] = run(settings, ADAPTER="personalization_plugin.adapters.CategoryInfo")
    assert error.id == "personalization.E007" and "get_products" in error.msg


def test_missing_adapter_is_a_warning(settings) -> None:
    settings.PERSONALIZATION = {"HASH_KEY": "test-hash-key"}
    assert ids(check_personalization_settings()) == ["personalization.W002"]


def test_unparseable_redis_url(settings) -> None:
    [error] = run(settings, REDIS_URL="localhost:6379")
    assert error.id == "personalization.E008" and "redis://" in error.hint


def test_redis_backend_needs_a_url(settings) -> None:
    [error] = run(settings, EVENT_BACKEND="redis")
    assert error.id == "personalization.E009"


def test_unknown_backend(settings) -> None:
    assert ids(run(settings, EVENT_BACKEND="kafka")) == ["personalization.E009"]


def test_missing_middleware_is_a_warning(settings) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "VisitorMiddleware" not in m]
    assert ids(run(settings)) == ["personalization.W001"]


def test_middleware_before_auth_is_a_warning(settings) -> None:
    mw = [m for m in settings.MIDDLEWARE if "VisitorMiddleware" not in m]
    settings.MIDDLEWARE = ["personalization_plugin.tracking.middleware.VisitorMiddleware", *mw]
    assert ids(run(settings)) == ["personalization.W003"]


def test_a_missing_feature_app_is_named_with_the_fix(settings, monkeypatch) -> None:
    from django.apps import apps

    installed = apps.is_installed
    monkeypatch.setattr(
        apps,
        "is_installed",
        lambda name: name != "personalization_plugin.triggers" and installed(name),
    )
    [error] = [m for m in run(settings) if m.id == "personalization.E011"]
    assert "personalization_plugin.triggers" in error.msg
    assert "INSTALLED_APPS" in error.hint
