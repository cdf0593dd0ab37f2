"""A store owner whose Wagtail admin is in German sees the plugin's pages in German."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from personalization_plugin.experiments.models import Experiment


@pytest.fixture
def german_owner(db: Any) -> Client:
    """A superuser who chose German as the admin language in their Wagtail profile."""
    from wagtail.users.models import UserProfile

    user = User.objects.create_superuser("besitzerin", "owner@example.com", "pw")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "de"
    profile.save()
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_is_german(german_owner: Client) -> None:
    html = german_owner.get("/admin/personalization/?days=7").content.decode()
    assert "Personalisierungs-Dashboard" in html
    assert "Ereignisse pro Tag, letzte 7 Tage" in html
    assert "Ereignisse im Zeitverlauf" in html
    assert "Noch keine Empfehlungsanzeigen erfasst." in html
    assert "Events over time" not in html


def test_models_page_is_german(german_owner: Client) -> None:
    html = german_owner.get("/admin/personalization/models/").content.decode()
    assert "Noch ist kein Modell trainiert" in html
    assert ">Jetzt trainieren</button>" in html


def test_experiment_results_and_choices_are_german(german_owner: Client) -> None:
    experiment = Experiment.objects.create(name="Startseite", placement="for_you")
    html = german_owner.get(
        f"/admin/personalization/experiments/{experiment.pk}/results/"
    ).content.decode()
    assert "Experiment: Startseite" in html
    assert "<strong>Entwurf</strong> auf <strong>for_you</strong>" in html
    assert "Basis: beliebt / im Trend, nicht personalisiert" in html
    assert ">Starten</button>" in html


def test_admin_messages_are_german(german_owner: Client) -> None:
    experiment = Experiment.objects.create(name="Startseite", placement="for_you")
    response = german_owner.post(
        f"/admin/personalization/experiments/{experiment.pk}/ship/", {"winner": "nobody"},
        follow=True,
    )  # fmt: skip
    assert "Aktion „ship“ ist für ein Experiment im Status „entwurf“ nicht möglich." in (
        response.content.decode()
    )


def test_settings_form_labels_and_help_are_german(german_owner: Client) -> None:
    url = reverse("wagtailsettings:edit", args=["personalization", "personalizationsettings"])
    html = german_owner.get(url, follow=True).content.decode()
    assert "Personalisierung an" in html
    assert "Ereignisse, die älter als so viele Tage sind, werden gelöscht." in html
    assert "Vielfalt in Listen" in html
