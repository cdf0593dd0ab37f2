"""Privacy tests share the tracking tests' catalog, clean state and request helpers."""

from tests.tracking.conftest import rf, tracking_settings, visitor_request  # noqa: F401
