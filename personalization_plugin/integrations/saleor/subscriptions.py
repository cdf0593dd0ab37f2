"""The subscription queries this app asks Saleor for, and its manifest's webhook list.

Saleor sends each webhook's `event { ... }` selection as the body; `payloads` reads
exactly these shapes. Serve `manifest_webhooks(target_url)` in the App manifest.
"""

from __future__ import annotations

from typing import Any

_LINES = """lines { quantity unitPrice { gross { amount currency } }
        variant { id product { id name } } }"""

SUBSCRIPTIONS: dict[str, str] = {
    "ORDER_CREATED": f"""subscription {{ event {{ ... on OrderCreated {{ order {{
        id number created user {{ id }} metadata {{ key value }}
        total {{ gross {{ currency }} }} {_LINES} }} }} }} }}""",
    "CHECKOUT_CREATED": f"""subscription {{ event {{ ... on CheckoutCreated {{ checkout {{
        id user {{ id }} metadata {{ key value }} {_LINES} }} }} }} }}""",
    "CHECKOUT_UPDATED": f"""subscription {{ event {{ ... on CheckoutUpdated {{ checkout {{
        id user {{ id }} metadata {{ key value }} {_LINES} }} }} }} }}""",
    "PRODUCT_CREATED": """subscription { event { ... on ProductCreated { product {
        id name slug created isAvailableForPurchase category { id name }
        thumbnail { url } channelListings { isPublished }
        pricing { priceRange { start { gross { amount currency } } } } } } } }""",
    "PRODUCT_UPDATED": """subscription { event { ... on ProductUpdated { product {
        id name slug created isAvailableForPurchase category { id name }
        thumbnail { url } channelListings { isPublished }
        pricing { priceRange { start { gross { amount currency } } } } } } } }""",
    "PRODUCT_DELETED": """subscription { event { ... on ProductDeleted {
        product { id name } } } }""",
    "CUSTOMER_DELETED": """subscription { event { ... on CustomerDeleted { user { id } } } }""",
}


def manifest_webhooks(target_url: str) -> list[dict[str, Any]]:
    """The `webhooks` entry of the Saleor App manifest, one per event, all to `target_url`."""
    return [
        {
            "name": f"Personalization {event.lower().replace('_', ' ')}",
            "asyncEvents": [event],
            "query": " ".join(query.split()),
            "targetUrl": target_url,
            "isActive": True,
        }
        for event, query in SUBSCRIPTIONS.items()
    ]
