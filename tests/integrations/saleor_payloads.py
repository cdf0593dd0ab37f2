"""Webhook bodies and signatures as Saleor builds them, for the Saleor tests.

Bodies follow the subscription queries in `integrations.saleor.subscriptions` (the shape
Saleor sends for a subscription webhook: the `event { ... }` selection). JWS signatures
are made as Saleor's JWT manager does: RS256, detached payload, `b64: false`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def gid(kind: str, pk: int) -> str:
    """A Saleor global id: base64 of "Type:pk" ("UHJvZHVjdDo3Mg==" is Product:72)."""
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


class SaleorKey:
    """An RSA key pair standing in for Saleor's, with its JWKS document."""

    def __init__(self, kid: str = "saleor-test-key") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def private_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(self, body: bytes) -> str:
        """`<header>..<signature>` over `header + "." + raw body` (RFC 7797), written out
        with `cryptography` rather than PyJWT, so the verifier is checked against the
        scheme itself and not against its own library."""
        header = {"alg": "RS256", "kid": self.kid, "b64": False, "crit": ["b64"]}
        segment = _b64url(json.dumps(header, separators=(",", ":")).encode())
        signature = self.private.sign(
            segment.encode() + b"." + body, padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{segment}..{_b64url(signature)}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hmac_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def line(product_pk: int, name: str, quantity: int = 1, price: str = "10.00") -> dict[str, Any]:
    return {
        "quantity": quantity,
        "unitPrice": {"gross": {"amount": float(price), "currency": "USD"}},
        "variant": {
            "id": gid("ProductVariant", product_pk * 10),
            "product": {"id": gid("Product", product_pk), "name": name},
        },
    }


def order_created(
    order_pk: int, lines: list[dict[str, Any]], user_pk: int | None = None, visitor: str = ""
) -> dict[str, Any]:
    return {
        "order": {
            "id": gid("Order", order_pk),
            "number": str(order_pk),
            "created": "2026-11-20T10:00:00+00:00",
            "user": {"id": gid("User", user_pk)} if user_pk else None,
            "metadata": [{"key": "personalization_visitor_id", "value": visitor}]
            if visitor
            else [],
            "total": {"gross": {"currency": "USD"}},
            "lines": lines,
        }
    }


def checkout(
    checkout_pk: int, lines: list[dict[str, Any]], visitor: str = "shopper-1"
) -> dict[str, Any]:
    return {
        "checkout": {
            "id": gid("Checkout", checkout_pk),
            "user": None,
            "metadata": [{"key": "personalization_visitor_id", "value": visitor}],
            "lines": lines,
        }
    }


def product(product_pk: int, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "product": {
            "id": gid("Product", product_pk),
            "name": name,
            "slug": name.lower().replace(" ", "-"),
            "created": "2026-01-05T09:00:00+00:00",
            "isAvailableForPurchase": True,
            "category": {"id": gid("Category", 3), "name": "Juices"},
            "thumbnail": {"url": f"https://cdn.example.com/{product_pk}.png"},
            "channelListings": [{"isPublished": True}],
            "pricing": {"priceRange": {"start": {"gross": {"amount": 4.5, "currency": "USD"}}}},
            **extra,
        }
    }


URL = "/personalization/saleor/webhooks/"
SECRET = "app-secret-key"
KEY = SaleorKey()


def send(
    event: str,
    payload: Any,
    *,
    signature: str | None = None,
    raw: bytes | None = None,
    **headers: str,
) -> Any:
    """POST a webhook as Saleor does: JSON body, Saleor-Event and a JWS by `KEY`."""
    from django.test import Client

    data = raw if raw is not None else body(payload)
    sig = KEY.sign(data) if signature is None else signature
    extra = {"HTTP_SALEOR_EVENT": event, "HTTP_SALEOR_DOMAIN": "shop.example.com"}
    if sig:
        extra["HTTP_SALEOR_SIGNATURE"] = sig
    extra.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    return Client().post(URL, data, content_type="application/json", **extra)
