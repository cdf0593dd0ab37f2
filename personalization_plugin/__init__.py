"""storefront-personalization: recommendations, segments and privacy for Django stores.

Public API:

    from personalization_plugin import track
    track("view", request=request, product_id="42")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def track(*args: Any, **kwargs: Any) -> Any:
    """Record one shopper event. See `personalization_plugin.tracking.api.track`."""
    from .tracking.api import track as _track

    return _track(*args, **kwargs)


__all__ = ["track", "__version__"]
