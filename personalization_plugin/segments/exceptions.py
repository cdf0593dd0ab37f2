"""Errors of the segment engine. Messages name the offending place in the rule tree."""

from __future__ import annotations

from ..exceptions import PersonalizationError


class InvalidRuleTree(PersonalizationError, ValueError):
    """A segment's rule tree is malformed; the message says where (e.g. `all[1].min_views`)
    and what is expected."""


class UnknownSegment(PersonalizationError, LookupError):
    """No enabled segment has the given slug."""
