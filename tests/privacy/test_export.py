"""Data export: one shopper's events, real-time state and consent, and nobody else's."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from personalization_plugin import track
from personalization_plugin.models import PrivacyChoice
from personalization_plugin.privacy.export import export_subject
from personalization_plugin.tracking.identity import sign_visitor_id

pytestmark = pytest.mark.django_db
VISITOR = "2" * 32


def test_export_contains_events_state_and_consent() -> None:
    track("view", visitor_id=VISITOR, product_id="1")
    track("cart_add", visitor_id=VISITOR, product_id="2", price="4.50")
    track("view", visitor_id="someone-else", product_id="3")
    PrivacyChoice.objects.create(subject=f"v:{VISITOR}", consent="granted")
    data = export_subject(visitor_id=VISITOR)
    assert data["subjects"] == [f"v:{VISITOR}"]
    assert [(e["type"], e["product_id"]) for e in data["events"]] == [
        ("view", "1"),
        ("cart_add", "2"),
    ]
    assert data["events"][1]["price"] == "4.50"
    assert data["realtime"][f"v:{VISITOR}"]["recently_viewed"] == ["1"]
    assert data["realtime"][f"v:{VISITOR}"]["cart"] == ["2"]
    assert data["consent"][0]["consent"] == "granted"
    json.dumps(data)  # JSON-ready


def test_export_by_customer_includes_merged_visitor_events() -> None:
    track("view", visitor_id="anon", customer_id="5", product_id="1")
    track("view", customer_id="5", product_id="2")
    data = export_subject(customer_id="5")
    assert {e["product_id"] for e in data["events"]} == {"1", "2"}
    assert "c:5" in data["subjects"]


def test_my_data_view_exports_the_current_visitor() -> None:
    track("view", visitor_id=VISITOR, product_id="1")
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    response = client.get(reverse("personalization:my_data"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert [e["product_id"] for e in response.json()["events"]] == ["1"]


def test_my_data_view_without_cookie_is_empty() -> None:
    track("view", visitor_id=VISITOR, product_id="1")
    assert Client().get(reverse("personalization:my_data")).json()["events"] == []


def test_export_command_prints_json(capsys) -> None:
    track("view", customer_id="9", product_id="1")
    call_command("personalization_export", "--customer", "9")
    data = json.loads(capsys.readouterr().out)
    assert [e["product_id"] for e in data["events"]] == ["1"]


def test_export_command_needs_an_id() -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--customer ID or --visitor ID"):
        call_command("personalization_export")
