"""An adapter whose catalogue is down, to show Oscar pages survive it."""

from __future__ import annotations


class BrokenAdapter:
    def get_products(self, ids):
        raise ConnectionError("catalogue service unavailable")

    def iter_products(self, batch_size=500):
        raise ConnectionError("catalogue service unavailable")
