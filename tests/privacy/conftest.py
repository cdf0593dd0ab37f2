"""Privacy tests share the tracking tests' catalog, clean state and request helpers."""

import pytest  # noqa: E402

from tests.tracking.conftest import rf, tracking_settings, visitor_request  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_preferences():
    """Cached preferences outlive a test's rollback; start and end each test without them."""
    from personalization_plugin.privacy.preferences import forget_cached

    forget_cached()
    yield
    forget_cached()
