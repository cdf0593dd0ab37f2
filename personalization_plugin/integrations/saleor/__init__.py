"""Saleor integration: an App-style webhook endpoint and a catalog cache.

Saleor runs as its own service, so the plugin runs beside it as a Saleor App: Saleor
sends signed webhooks (orders, checkouts, products, customer deletions) to
``/personalization/saleor/webhooks/``; they become events, catalog rows and erasures.
The storefront asks this project's GraphQL endpoint for recommendations with Saleor's
own global product ids. Add ``"personalization_plugin.integrations.saleor"`` to
INSTALLED_APPS and set ``PERSONALIZATION["ADAPTER"] =
"personalization_plugin.integrations.saleor.adapter.SaleorCatalogAdapter"``.
"""
