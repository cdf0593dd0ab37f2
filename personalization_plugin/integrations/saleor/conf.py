"""`settings.PERSONALIZATION_SALEOR`: how the Saleor App verifies and maps webhooks.

PERSONALIZATION_SALEOR = {
    # Saleor's public keys, for JWS signatures (Saleor >= 3.5). One of:
    "JWKS_URL": "https://shop.example.com/.well-known/jwks.json",
    "JWKS": {"keys": [...]},          # the same document, pasted
    "PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----...",
    # The app's secret key, for the older HMAC-SHA256 hex signatures.
    "SECRET_KEY": "...",
    # Storefront product URL, filled from the product payload.
    "PRODUCT_URL": "/products/{slug}/",
    # Checkout/order metadata key where the storefront puts the plugin's visitor id.
    "VISITOR_METADATA_KEY": "personalization_visitor_id",
}
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "JWKS_URL": "",
    "JWKS": None,
    "PUBLIC_KEY": "",
    "SECRET_KEY": "",
    "PRODUCT_URL": "/products/{slug}/",
    "VISITOR_METADATA_KEY": "personalization_visitor_id",
}


def saleor_setting(name: str) -> Any:
    """One PERSONALIZATION_SALEOR value, with its default; read on every call (cheap)."""
    values = getattr(settings, "PERSONALIZATION_SALEOR", None) or {}
    return values.get(name, DEFAULTS[name])
