"""Ready-made integrations with store platforms people run.

* `oscar`: django-oscar 4.x (adapter over its catalogue and stock records, signal wiring).
* `saleor`: a Saleor App-style webhook endpoint and a catalog cache (`SaleorCatalogAdapter`).

A custom Django store needs none of these: see docs/custom-store.md.
"""
