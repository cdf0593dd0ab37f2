"""Only users holding the plugin's permissions see or change anything.

Wagtail answers a PermissionDenied inside its admin with a redirect to the admin home
and a "Sorry, you do not have permission" message (its 403 for humans); `refused`
checks for exactly that.
"""

from __future__ import annotations

import pytest

from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import MerchandisingRule

pytestmark = pytest.mark.django_db


def refused(response) -> bool:
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == "/admin/"
    )


READ_URLS = [
    "/admin/personalization/",
    "/admin/personalization/models/",
    "/admin/personalization/rules/",
    "/admin/personalization/experiments/",
    "/admin/settings/personalization/personalizationsettings/",
]


@pytest.mark.parametrize("url", READ_URLS)
def test_staff_without_plugin_permissions_is_refused(staff_client, url):
    response = staff_client.get(url, follow=True)
    assert response.redirect_chain[-1] == ("/admin/", 302)
    assert "do not have permission" in response.content.decode()


def test_staff_without_permissions_is_told_they_may_not_see_the_dashboard(staff_client):
    response = staff_client.get("/admin/personalization/", follow=True)
    assert response.redirect_chain == [("/admin/", 302)]
    assert "do not have permission" in response.content.decode()


def test_staff_without_permissions_sees_no_personalization_menu(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert '"name": "personalization"' not in html and "Personalization, last 7 days" not in html


def test_superuser_sees_the_menu_and_the_home_panel(admin_client_):
    html = admin_client_.get("/admin/").content.decode()
    assert '"name": "personalization"' in html
    assert "Personalization, last 7 days" in html


def test_staff_cannot_post_model_actions(staff_client):
    assert refused(staff_client.post("/admin/personalization/models/rollback/"))


def test_staff_cannot_stop_an_experiment(staff_client):
    experiment = Experiment.objects.create(name="x", placement="for_you", status="running")
    assert refused(staff_client.post(f"/admin/personalization/experiments/{experiment.pk}/stop/"))
    experiment.refresh_from_db()
    assert experiment.status == "running"


def test_staff_cannot_create_a_rule(staff_client):
    response = staff_client.post(
        "/admin/personalization/rules/new/",
        {
            "action": "exclude",
            "target_type": "category",
            "target_id": "x",
            "position": 1,
            "strength": 1,
        },
    )
    assert refused(response)
    assert not MerchandisingRule.objects.exists()


def test_reports_permission_opens_the_dashboard_but_not_model_actions(analyst_client):
    assert analyst_client.get("/admin/personalization/").status_code == 200
    assert analyst_client.get("/admin/personalization/models/").status_code == 200
    assert refused(analyst_client.post("/admin/personalization/models/train/"))


def test_reports_permission_sees_results_without_controls(analyst_client):
    experiment = Experiment.objects.create(name="x", placement="for_you", status="running")
    response = analyst_client.get(f"/admin/personalization/experiments/{experiment.pk}/results/")
    assert response.status_code == 200
    assert b"Stop and ship" not in response.content
    assert refused(analyst_client.post(f"/admin/personalization/experiments/{experiment.pk}/stop/"))
