"""storefront-personalization: recommendations, segments and privacy for Django stores.

Public API:

    from personalization_plugin import track
    track("view", request=request, product_id="42")
    track_order(request=request, order_id="1001", lines=[{"product_id": "42", "quantity": 1}])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # the real signatures, for type checkers and editors
    from personalization_plugin.tracking.api import track, track_order


def __getattr__(name: str) -> Any:
    """`track` and `track_order`, imported on first use: importing the package must not
    import models before Django's app registry is ready."""
    if name in ("track", "track_order"):
        from personalization_plugin.tracking import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", "track", "track_order"]
