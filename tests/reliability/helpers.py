"""Helpers shared by the reliability tests: a shopper's browser session on the demo."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from personalization_plugin.tracking.identity import unsign_visitor_id
from personalization_plugin.tracking.tokens import intake_token


class Shopper:
    """A test client with a visitor cookie and the intake token its pages embed."""

    def __init__(self, first_page: str = "/search/?q=bowl") -> None:
        self.client = Client(REMOTE_ADDR="127.0.0.9")
        response = self.client.get(first_page)
        assert response.status_code == 200, response.status_code
        self.visitor_id = unsign_visitor_id(self.client.cookies["sp_vid"].value)
        self.token = intake_token(self.visitor_id)
        assert self.token in response.content.decode(), "the page embeds the intake token"

    def send(self, events: list[dict[str, Any]], token: str | None = None) -> Any:
        body = json.dumps({"token": self.token if token is None else token, "events": events})
        return self.client.post(
            "/personalization/events/", data=body, content_type="text/plain;charset=UTF-8"
        )

    def view(self, product: Any) -> int:
        """Send one product view beacon; returns how many events the endpoint accepted."""
        response = self.send([{"type": "view", "product_id": str(product.pk)}])
        assert response.status_code == 202, response.content
        return int(response.json()["accepted"])
