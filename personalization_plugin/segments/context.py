"""What a rule sees: the shopper's profile, the time, and facts about the current request.

Request facts (referrer, UTM campaign, device, signed in) are read from the request and
never stored. Batch evaluation (segment sizes) has no request: context rules are then
false, and a segment that needs them is reported as "context-dependent".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from personalization_plugin.core.user_agents import device_of
from personalization_plugin.profiles.profile import Profile


@dataclass(frozen=True)
class RequestFacts:
    """The request-derived inputs of context rules (nothing here is stored)."""

    referrer_host: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    device: str = "desktop"
    signed_in: bool = False

    @classmethod
    def from_request(cls, request: Any, signed_in: bool = False) -> RequestFacts:
        get = getattr(request, "GET", {})
        meta = getattr(request, "META", {})
        referrer = meta.get("HTTP_REFERER", "") or ""
        return cls(
            referrer_host=(urlsplit(referrer).hostname or "").lower(),
            utm_source=str(get.get("utm_source", ""))[:100].lower(),
            utm_medium=str(get.get("utm_medium", ""))[:100].lower(),
            utm_campaign=str(get.get("utm_campaign", ""))[:100].lower(),
            device=device_of(meta.get("HTTP_USER_AGENT", "") or ""),
            signed_in=signed_in,
        )


@dataclass
class EvalContext:
    """One evaluation: a profile at a moment, with request facts when there is a request."""

    profile: Profile
    now: datetime = field(default_factory=timezone.now)
    request: RequestFacts | None = None
    population: dict[str, Any] = field(default_factory=dict)
    score_models: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def ts(self) -> float:
        return self.now.timestamp()

    @cached_property
    def local_now(self) -> datetime:
        return timezone.localtime(self.now, timezone.get_default_timezone())

    @cached_property
    def today(self) -> int:
        return self.local_now.date().toordinal()

    @cached_property
    def scores(self) -> dict[str, float]:
        from personalization_plugin.scores.model import score_profile

        return {
            kind: score_profile(model, self.profile, self.ts)
            for kind, model in self.score_models.items()
        }
