"""The store boundary: how the plugin learns about a store's catalog.

A store implements `StoreAdapter` (a Protocol, so no inheritance is required) and
names it in `PERSONALIZATION["ADAPTER"]`. Product, category and customer ids are
opaque strings: integer keys, UUIDs and Saleor-style global ids all work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, runtime_checkable

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import ImproperlyConfiguredAdapter


@dataclass(frozen=True)
class ProductInfo:
    """What the plugin needs to know about one product, in display-ready form."""

    id: str
    title: str
    url: str = ""
    price: Decimal | None = None
    currency: str = ""
    image_url: str = ""
    category_ids: tuple[str, ...] = ()
    in_stock: bool = True
    published: bool = True
    created_at: datetime | None = None
    attributes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def available(self) -> bool:
        """Whether the product may be recommended at all."""
        return self.published and self.in_stock


@dataclass(frozen=True)
class CategoryInfo:
    id: str
    name: str
    url: str = ""


@dataclass(frozen=True)
class OrderLine:
    product_id: str
    quantity: int = 1
    price: Decimal | None = None


@dataclass(frozen=True)
class PastOrder:
    """A historical order, used to backfill events on install."""

    order_id: str
    customer_id: str
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    currency: str = ""


@runtime_checkable
class StoreAdapter(Protocol):
    """What a store implements so the plugin can see its catalog.

    `get_products` and `iter_products` are required. `get_categories`,
    `iter_orders` and `connect_signals` have defaults in `BaseStoreAdapter`.
    """

    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        """Products by id, in one batch. Unknown ids are simply absent from the result."""
        ...

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        """The whole catalog, published or not, in batches."""
        ...


class BaseStoreAdapter:
    """Optional base class with defaults for the optional parts of the protocol."""

    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        raise NotImplementedError

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        raise NotImplementedError

    def get_categories(self, ids: Sequence[str]) -> dict[str, CategoryInfo]:
        """Category display names by id; ids are shown as-is when absent."""
        return {}

    def iter_orders(self, since: datetime | None = None) -> Iterable[PastOrder]:
        """Past orders for backfill (`personalization_import`); none by default."""
        return ()

    def connect_signals(self) -> None:
        """Connect the store's own signals to `personalization_plugin.track`."""


@lru_cache(maxsize=1)
def _adapter_for(cls: type) -> StoreAdapter:
    return cls()


# The adapter instance last found to satisfy StoreAdapter: a runtime Protocol check walks
# the protocol's members on every call, and `track()` asks once per event.
_checked: list[object] = []


def _implements(adapter: object) -> bool:
    if _checked and _checked[0] is adapter:
        return True
    if not isinstance(adapter, StoreAdapter):
        return False
    _checked[:] = [adapter]
    return True


def get_adapter() -> StoreAdapter:
    """The configured store adapter instance.

    Raises ImproperlyConfiguredAdapter when PERSONALIZATION["ADAPTER"] is unset or
    its class lacks `get_products` / `iter_products`.
    """
    cls = plugin_settings.ADAPTER
    if cls is None:
        raise ImproperlyConfiguredAdapter(
            'PERSONALIZATION["ADAPTER"] is not set. Set it to the dotted path of a class '
            "implementing personalization_plugin.adapters.StoreAdapter, e.g. "
            '"shop.personalization.ShopAdapter".'
        )
    adapter = _adapter_for(cls)
    if not _implements(adapter):
        raise ImproperlyConfiguredAdapter(
            f"{cls.__module__}.{cls.__qualname__} must define get_products(ids) and "
            "iter_products(batch_size); see personalization_plugin.adapters.StoreAdapter."
        )
    return adapter


def category_names(ids: Sequence[str]) -> dict[str, str]:
    """Readable names for category ids, falling back to the id itself."""
    adapter = get_adapter()
    getter = getattr(adapter, "get_categories", None)
    found = getter(list(ids)) if getter else {}
    return {cid: (found[cid].name if cid in found else cid) for cid in ids}
