"""Outgoing triggers: abandoned cart, browse abandonment and win-back messages, fired once
per occasion for consenting customers, as a Django signal and an optional signed webhook."""
