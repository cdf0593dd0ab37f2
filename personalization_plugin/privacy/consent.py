"""Consent and opt-out (skeleton)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def consent_for(request: HttpRequest, visitor: Any) -> str:
    return "unknown"


def consent_state(request: HttpRequest) -> dict[str, Any]:
    raise NotImplementedError


def set_consent(request: HttpRequest, response: HttpResponse, granted: bool) -> None:
    raise NotImplementedError
