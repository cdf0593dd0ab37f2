"""Subject keys: who a stored or cached thing is about, and their keyed hashes.

A subject is a signed-in customer ("c:<customer id>") or an anonymous visitor
("v:<visitor id>"). This module is the only place the key format is built or parsed.
Raw ids belong only in the database rows that need them: anything that names a shopper
elsewhere (Redis key names, cache keys, logs, the erased-shopper ledger) uses
`digest(subject)`, an HMAC keyed with PERSONALIZATION["HASH_KEY"], so an id cannot be
read back from a key name.

The hash key is dedicated, not SECRET_KEY: rotating SECRET_KEY (sessions, signed cookies)
must not change the digests, or the erased-shopper ledger would match nobody and a
re-import would bring erased shoppers back. Without HASH_KEY, SECRET_KEY is used (and a
system check warns). Lookups honour every older key (`digests()`): HASH_KEY_FALLBACKS,
then SECRET_KEY and SECRET_KEY_FALLBACKS, so introducing or rotating HASH_KEY keeps old
tombstones matching, the way Django's SECRET_KEY_FALLBACKS keeps old signatures valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

from personalization_plugin.core.conf import plugin_settings

CUSTOMER = "c"
VISITOR = "v"


def customer(customer_id: str | int) -> str:
    """The subject key of a signed-in customer."""
    return f"{CUSTOMER}:{customer_id}"


def visitor(visitor_id: str) -> str:
    """The subject key of an anonymous visitor."""
    return f"{VISITOR}:{visitor_id}"


def of(customer_id: str | int | None, visitor_id: str) -> str:
    """The key a model learns for: the customer if known, else the visitor."""
    return customer(customer_id) if customer_id else visitor(visitor_id)


def keys_of(visitor_id: str, customer_id: str | int | None = None) -> set[str]:
    """Every subject key one shopper may be stored under: the visitor, and the customer
    they signed in as (events, profiles and caches may hold either)."""
    keys = {visitor(visitor_id)}
    if customer_id:
        keys.add(customer(customer_id))
    return keys


def parse(subject: str) -> tuple[str, str]:
    """`("c" | "v", id)`. Raises ValueError for anything that is not a subject key."""
    kind, sep, ident = subject.partition(":")
    if not sep or kind not in (CUSTOMER, VISITOR) or not ident:
        raise ValueError(f"{subject!r} is not a subject key; expected 'c:<id>' or 'v:<id>'.")
    return kind, ident


def is_customer(subject: str) -> bool:
    return subject.startswith(CUSTOMER + ":")


def is_visitor(subject: str) -> bool:
    return subject.startswith(VISITOR + ":")


def ident(subject: str) -> str:
    """The id inside a subject key (the customer or visitor id)."""
    return parse(subject)[1]


def visitor_ids(subjects: Iterable[str]) -> set[str]:
    """The visitor ids among these subjects."""
    return {ident(s) for s in subjects if is_visitor(s)}


def customer_ids(subjects: Iterable[str]) -> set[str]:
    """The customer ids among these subjects."""
    return {ident(s) for s in subjects if is_customer(s)}


def hash_key() -> str:
    """The key new digests are made with: HASH_KEY, or SECRET_KEY when it is not set."""
    return str(plugin_settings.HASH_KEY or settings.SECRET_KEY)


def hash_keys() -> list[str]:
    """The current hash key first, then every older key a lookup must still match
    (HASH_KEY_FALLBACKS, SECRET_KEY, SECRET_KEY_FALLBACKS), without repeats."""
    keys = [
        hash_key(),
        *(plugin_settings.HASH_KEY_FALLBACKS or ()),
        settings.SECRET_KEY,
        *getattr(settings, "SECRET_KEY_FALLBACKS", ()),
    ]
    return list(dict.fromkeys(str(k) for k in keys if k))


def _hmac(value: str, purpose: str, key: str) -> str:
    return salted_hmac(f"personalization_plugin.{purpose}", value, secret=key).hexdigest()


# The last DIGEST_MEMO_SIZE digests made, by (subject, purpose, hash key): a shopper's
# events come in runs (one page view tracks several), and `track()` names two keys per
# event, so intake would otherwise compute the same HMACs again and again. Bounded (LRU),
# in this process only, and emptied by `forget_digests()` when a shopper is erased (an
# eraser registered in `apps.ready`). The hash key is part of the memo key, so a new
# HASH_KEY or SECRET_KEY never returns a digest made with the old one.
DIGEST_MEMO_SIZE = 4096
_memo: OrderedDict[tuple[str, str, str], str] = OrderedDict()
_memo_lock = threading.Lock()


def _memo_hmac(value: str, purpose: str, key: str) -> str:
    memo_key = (value, purpose, key)
    with _memo_lock:
        found = _memo.get(memo_key)
        if found is not None:
            _memo.move_to_end(memo_key)
            return found
    made = _hmac(value, purpose, key)
    with _memo_lock:
        _memo[memo_key] = made
        if len(_memo) > DIGEST_MEMO_SIZE:
            _memo.popitem(last=False)
    return made


def forget_digests(subjects: Iterable[str] | None = None) -> int:
    """Drop memoized digests (of `subjects`, or all): erasure leaves no trace of an erased
    shopper's id in this process. Registered as an eraser; returns 0 (nothing stored)."""
    with _memo_lock:
        if subjects is None:
            _memo.clear()
        else:
            gone = set(subjects)
            for memo_key in [k for k in _memo if k[0] in gone]:
                del _memo[memo_key]
    return 0


def digest(subject: str, purpose: str = "key", length: int = 24) -> str:
    """A keyed, stable hash of a subject for names that leave the database (Redis keys,
    ledger rows, rate-limit counters), made with the current hash key.

    `purpose` separates uses so a digest from one place cannot be matched in another."""
    return _memo_hmac(subject, purpose, hash_key())[:length]


def digests(subject: str, purpose: str = "key", length: int = 24) -> list[str]:
    """`digest(subject)` under the current key and every fallback key (current first):
    what a lookup of something written before a key rotation must try."""
    return [_hmac(subject, purpose, k)[:length] for k in hash_keys()]


def digest_map(values: Iterable[str], purpose: str = "key", length: int = 24) -> dict[str, str]:
    """digest -> value for many values under every hash key (what `digests()` gives one
    value), for matching a whole artifact's subjects against the erased-shopper ledger.

    The HMAC key is derived once per hash key rather than once per value (as
    `salted_hmac` does): about a fifth less CPU (`benchmarks/erasure_ledger.py`)."""
    found: dict[str, str] = {}
    ordered = list(values)
    for secret in reversed(hash_keys()):  # the current key last: it wins a collision
        derived = hashlib.sha1(f"personalization_plugin.{purpose}{secret}".encode()).digest()
        base = hmac.new(derived, digestmod=hashlib.sha1)
        for value in ordered:
            mac = base.copy()
            mac.update(value.encode())
            found[mac.hexdigest()[:length]] = value
    return found


SEAL_PREFIX = "s1."
_NONCE_BYTES = 16
_TAG_BYTES = 16


def _seal_keys(purpose: str, secret: str) -> tuple[bytes, bytes]:
    """An encryption key and a MAC key for one purpose, both derived from a hash key."""
    base = f"personalization_plugin.seal.{purpose}{secret}".encode()
    return hashlib.sha256(base + b".enc").digest(), hashlib.sha256(base + b".mac").digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest()
        for n in range(length // 32 + 1)
    )
    return b"".join(blocks)[:length]


def seal(value: str, context: str, purpose: str = "seal") -> str:
    """`value` encrypted and authenticated under the current hash key, bound to `context`
    (the keyed name it is stored under), for a Redis value that must be read back (the
    customer a visitor was merged into). Redis then holds no id in clear, and a sealed
    value copied under another name does not open.

    HMAC-SHA256 in counter mode, encrypt-then-MAC (standard library only: `core` takes
    no third-party crypto)."""
    enc, mac = _seal_keys(purpose, hash_key())
    nonce = os.urandom(_NONCE_BYTES)
    plain = value.encode()
    body = bytes(a ^ b for a, b in zip(plain, _keystream(enc, nonce, len(plain)), strict=True))
    tag = hmac.new(mac, context.encode() + b"\0" + nonce + body, hashlib.sha256).digest()
    return SEAL_PREFIX + base64.urlsafe_b64encode(nonce + body + tag[:_TAG_BYTES]).decode()


def unseal(token: str | bytes, context: str, purpose: str = "seal") -> str | None:
    """The value `seal()` sealed for `context`, under the current or any older hash key
    (`hash_keys()`); None when it is not a sealed value, was altered, was sealed for
    another context, or under a key nobody lists any more."""
    text = token.decode() if isinstance(token, bytes) else token
    if not text.startswith(SEAL_PREFIX):
        return None
    try:
        raw = base64.urlsafe_b64decode(text[len(SEAL_PREFIX) :].encode())
    except ValueError:
        return None
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        return None
    nonce, body, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
    for secret in hash_keys():
        enc, mac = _seal_keys(purpose, secret)
        expected = hmac.new(mac, context.encode() + b"\0" + nonce + body, hashlib.sha256)
        if hmac.compare_digest(expected.digest()[:_TAG_BYTES], tag):
            stream = _keystream(enc, nonce, len(body))
            plain = bytes(a ^ b for a, b in zip(body, stream, strict=True))
            try:
                return plain.decode()
            except UnicodeDecodeError:
                return None
    return None
