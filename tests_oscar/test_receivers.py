"""Connecting Oscar's signals: once, whoever asks first (the app or the adapter)."""

from __future__ import annotations

from oscar.apps.catalogue.signals import product_viewed
from oscar.apps.order.signals import order_placed

from personalization_plugin.integrations.oscar.adapter import OscarAdapter
from personalization_plugin.integrations.oscar.receivers import connect_signals


def ours(signal) -> int:
    return sum(
        1 for entry in signal.receivers if str(entry[0][0]).startswith("personalization.oscar")
    )


def test_the_app_connected_each_oscar_signal_once() -> None:
    assert ours(product_viewed) == 1
    assert ours(order_placed) == 1


def test_connecting_again_from_the_adapter_adds_no_second_receiver() -> None:
    connect_signals()
    OscarAdapter()
    assert ours(product_viewed) == 1
    assert ours(order_placed) == 1
