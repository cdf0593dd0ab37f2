"""Signed per-visitor token for the intake endpoint (skeleton)."""

from __future__ import annotations

from .identity import Visitor


def intake_token(visitor: Visitor) -> str:
    raise NotImplementedError


def check_intake_token(visitor: Visitor, token: str) -> bool:
    raise NotImplementedError
