"""Sending the plugin's signals. A failing receiver is logged, never shown to the shopper."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import Signal

logger = logging.getLogger(__name__)


def send(signal: Signal, sender: Any, **kwargs: Any) -> None:
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error(
                "Personalization receiver %r failed: %s", receiver, result, exc_info=result
            )
