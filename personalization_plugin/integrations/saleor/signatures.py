"""Verifying that a webhook really comes from Saleor.

Saleor signs every webhook in the `Saleor-Signature` header, in one of two forms:

* JWS with a detached payload (Saleor >= 3.5): `<protected header>..<signature>`, RS256
  with Saleor's private key, header `{"alg": "RS256", "kid": ..., "b64": false,
  "crit": ["b64"]}`: the signing input is the header segment, a dot and the raw body
  bytes (RFC 7797). Verified against Saleor's JWKS (or a configured public key).
* HMAC-SHA256 hex digest of the body with the app's secret key (older Saleor apps).

Anything else, a missing header, or a signature that does not verify raises
`InvalidSignature`; its message says what was wrong, never the expected value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from personalization_plugin.core.exceptions import InvalidSignature
from personalization_plugin.integrations.saleor.conf import saleor_setting

SIGNATURE_HEADER = "Saleor-Signature"
ALGORITHMS = ["RS256"]


def verify(body: bytes, signature: str) -> str:
    """Check `signature` over `body`; return the scheme that verified ("jws" or "hmac")."""
    signature = (signature or "").strip()
    if not signature:
        raise InvalidSignature(f"The {SIGNATURE_HEADER} header is missing.")
    if signature.count(".") == 2:
        _verify_jws(body, signature)
        return "jws"
    _verify_hmac(body, signature)
    return "hmac"


def _verify_jws(body: bytes, token: str) -> None:
    import jwt

    header_segment, payload_segment, _ = token.split(".")
    if payload_segment:
        raise InvalidSignature("The JWS signature must have a detached (empty) payload.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidSignature(f"The JWS header is unreadable: {exc}.") from None
    if header.get("alg") not in ALGORITHMS:
        raise InvalidSignature(
            f"JWS algorithm {header.get('alg')!r} is not accepted; expected RS256."
        )
    key = _public_key(header.get("kid"))
    try:
        jwt.api_jws.decode_complete(token, key=key, algorithms=ALGORITHMS, detached_payload=body)
    except jwt.PyJWTError:
        raise InvalidSignature("The JWS signature does not match the body.") from None


def _public_key(kid: str | None) -> Any:
    """Saleor's key for `kid` from the configured JWKS, JWKS URL or PEM public key."""
    import jwt

    pem = saleor_setting("PUBLIC_KEY")
    jwks = saleor_setting("JWKS")
    url = saleor_setting("JWKS_URL")
    if jwks:
        keys = jwt.PyJWKSet.from_dict(json.loads(jwks) if isinstance(jwks, str) else jwks).keys
        for key in keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise InvalidSignature(f"No key with kid {kid!r} in PERSONALIZATION_SALEOR['JWKS'].")
    if url:
        try:
            return _jwks_client(url).get_signing_key(kid).key
        except jwt.PyJWTError as exc:
            raise InvalidSignature(
                f"Could not get Saleor's key {kid!r} from JWKS_URL: {exc}."
            ) from None
    if pem:
        return pem
    raise InvalidSignature(
        "A JWS signature arrived but no Saleor key is configured; set "
        "PERSONALIZATION_SALEOR['JWKS_URL'] (https://<saleor>/.well-known/jwks.json)."
    )


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> Any:
    import jwt

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def _verify_hmac(body: bytes, signature: str) -> None:
    secret = saleor_setting("SECRET_KEY")
    if not secret:
        raise InvalidSignature(
            "An HMAC signature arrived but PERSONALIZATION_SALEOR['SECRET_KEY'] is not set."
        )
    expected = hmac.new(str(secret).encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise InvalidSignature("The HMAC signature does not match the body.")
