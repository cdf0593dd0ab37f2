"""The forget-me view and the erase command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from personalization_plugin import track
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id

pytestmark = pytest.mark.django_db
VISITOR = "3" * 32


def test_forget_me_erases_and_opts_out() -> None:
    track("view", visitor_id=VISITOR, product_id="1")
    get_backend().flush()
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    response = client.post(reverse("personalization:forget_me"), HTTP_ACCEPT="application/json")
    assert response.json()["erased"]["events"] == 1
    assert Event.objects.count() == 0
    assert response.cookies["sp_consent"].value == "denied"
    assert response.cookies["sp_vid"].value == ""


def test_forget_me_is_csrf_protected() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("personalization:forget_me")).status_code == 403


def test_erase_command(capsys) -> None:
    track("view", customer_id="12", product_id="1")
    call_command("personalization_erase", "--customer", "12")
    out = capsys.readouterr().out
    assert "buffered: 1" in out and "Erased." in out
    get_backend().flush()
    assert Event.objects.count() == 0
