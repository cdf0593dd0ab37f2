"""Subject keys: who a stored or cached thing is about, and their keyed hashes.

A subject is a signed-in customer ("c:<customer id>") or an anonymous visitor
("v:<visitor id>"). This module is the only place the key format is built or parsed.
Raw ids belong only in the database rows that need them: anything that names a shopper
elsewhere (Redis key names, cache keys, logs) uses `digest(subject)`, an HMAC keyed with
SECRET_KEY, so an id cannot be read back from a key name.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.crypto import salted_hmac

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


def digest(subject: str, purpose: str = "key", length: int = 24) -> str:
    """A keyed, stable hash of a subject for names that leave the database (Redis keys).

    `purpose` separates uses so a digest from one place cannot be matched in another."""
    return salted_hmac(f"personalization_plugin.{purpose}", subject).hexdigest()[:length]
