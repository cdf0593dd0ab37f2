"""storefront-personalization: recommendations, segments and privacy for Django stores.

Public API:

    from personalization_plugin import track
    track("view", request=request, product_id="42")
    track_order(request=request, order_id="1001", lines=[{"product_id": "42", "quantity": 1}])
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def track(*args: Any, **kwargs: Any) -> Any:
    """Record one shopper event. See `personalization_plugin.tracking.api.track`."""
    from personalization_plugin.tracking.api import track as _track

    return _track(*args, **kwargs)


def track_order(*args: Any, **kwargs: Any) -> Any:
    """Record a placed order. See `personalization_plugin.tracking.api.track_order`."""
    from personalization_plugin.tracking.api import track_order as _track_order

    return _track_order(*args, **kwargs)


__all__ = ["track", "track_order", "__version__"]
