"""Errors the plugin raises. Each message says what was wrong and what to do."""

from __future__ import annotations


class PersonalizationError(Exception):
    """Base class for every error raised by the plugin."""


class ImproperlyConfiguredAdapter(PersonalizationError):
    """PERSONALIZATION["ADAPTER"] is missing or does not implement the protocol."""


class InvalidEvent(PersonalizationError, ValueError):
    """An event failed validation: unknown type, missing field, bad value, too large."""


class UnknownProduct(InvalidEvent):
    """An event or request named a product the store adapter does not know."""


class ForgedVisitorId(PersonalizationError):
    """A visitor cookie's signature did not verify."""


class TrackingNotAllowed(PersonalizationError):
    """The shopper has not consented, has opted out, or sent Global Privacy Control."""


class ModelNotAvailable(PersonalizationError):
    """No trained model is active, or its artifact is missing or corrupt."""


class RateLimited(PersonalizationError):
    """Too many events from one visitor or IP address in a minute."""
