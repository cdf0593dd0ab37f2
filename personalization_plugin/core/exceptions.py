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


class InvalidIntakeToken(TrackingNotAllowed):
    """The intake token is missing, or was not issued for this visitor's cookie."""


class ModelNotAvailable(PersonalizationError):
    """No trained model is active, or its artifact is missing or corrupt."""


class RateLimited(PersonalizationError):
    """Too many events from one visitor or IP address in a minute."""


class NotEnoughData(PersonalizationError, ValueError):
    """Too little history to train on: no usable product events for the recommender, or too
    few shoppers (or a single outcome) for a score. The message says which and what to wait for."""


class DatasetFormatError(PersonalizationError, ValueError):
    """A CSV file is not in the expected format; the message names line and field."""


class MalformedRow(PersonalizationError, ValueError):
    """A CSV row does not fit the format; `line` is its 1-based line number in the file."""

    def __init__(self, line: int, problem: str, expected: str = "") -> None:
        self.line = line
        self.problem = problem
        self.expected = expected
        hint = f" Expected {expected}." if expected else ""
        super().__init__(f"Line {line}: {problem}.{hint}")


class InvalidRecommendationRequest(PersonalizationError, ValueError):
    """`recommend()` was called with arguments that cannot be served (a programming error)."""


class UnknownPlacement(InvalidRecommendationRequest):
    """The placement name is not one of `PLACEMENTS`."""


class InvalidWidgetParameter(PersonalizationError, ValueError):
    """A widget parameter (limit, title, ids, layout) is malformed."""


class UnknownWidgetPlacement(PersonalizationError, LookupError):
    """The placement name is not one serving knows."""


class InvalidRuleTree(PersonalizationError, ValueError):
    """A segment's rule tree is malformed; the message says where (e.g. `all[1].min_views`)
    and what is expected."""


class UnknownSegment(PersonalizationError, LookupError):
    """No enabled segment has the given slug."""


class UnknownSlot(PersonalizationError, LookupError):
    """No live page has a segment-variants block with this slot name."""


class ErasureIncomplete(PersonalizationError):
    """One or more registered erasers failed; the rest of the erasure was done."""


class WebhookNotConfigured(PersonalizationError):
    """A webhook URL is set without a secret (unsigned posts are refused)."""


class InvalidSignature(PersonalizationError):
    """The webhook's signature is missing, malformed or does not verify."""


class InvalidPayload(PersonalizationError, ValueError):
    """A webhook body is not JSON or lacks a field the event needs."""
