"""The privacy center: the demo page, its form handler (POST-redirect-GET) and forget-me/ in
a browser. The shopper is a real visitor cookie on Django's test client."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from personalization_plugin import track
from personalization_plugin.models import Event, ShopperPreference
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id

pytestmark = pytest.mark.django_db
VISITOR = "5" * 32
CENTER = "/privacy/"


@pytest.fixture
def shopper() -> Client:
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    return client


def _viewed(*product_ids: str) -> None:
    for pid in product_ids:
        track("view", visitor_id=VISITOR, product_id=pid)
    get_backend().flush()


def _post(client: Client, **data: str) -> Any:
    return client.post(reverse("personalization:privacy_center"), {"next": CENTER, **data})


def _status(response: Any) -> dict[str, list[str]]:
    location = urlsplit(response["Location"])
    assert location.path == CENTER and location.fragment == "sp-privacy-status"
    return parse_qs(location.query)


def test_every_page_footer_links_to_the_privacy_center(shopper: Client) -> None:
    html = shopper.get("/cart/").content.decode()
    assert f'href="{CENTER}"' in html


def test_the_page_tells_in_words_what_is_stored(shopper: Client) -> None:
    _viewed("1", "2", "11")
    html = shopper.get(CENTER).content.decode()
    assert "We keep 3 records of what you did here" in html
    assert "3 products viewed" in html
    assert reverse("personalization:my_data") in html


def test_the_page_offers_the_categories_met_to_show_less_of(shopper: Client) -> None:
    _viewed("1", "2", "11")
    html = shopper.get(CENTER).content.decode()
    assert 'name="category" value="chairs"' in html and 'name="category" value="tables"' in html


def test_a_new_visitor_sees_that_nothing_is_stored() -> None:
    html = Client().get(CENTER).content.decode()
    assert "We have no record of what you did in this store." in html


def test_turning_personalization_off_erases_and_comes_back_with_a_message(shopper: Client) -> None:
    _viewed("1")
    response = _post(shopper, action="personalization_off")
    assert response.status_code == 302
    assert _status(response)["sp_privacy"] == ["off"]
    assert Event.objects.count() == 0
    assert response.cookies["sp_consent"].value == "denied"
    shopper.cookies.pop("sp_vid", None)
    page = shopper.get(response["Location"]).content.decode()
    assert "Personalization is off. We deleted" in page
    assert 'value="personalization_on"' in page


def test_turning_personalization_on_records_consent(shopper: Client) -> None:
    response = _post(shopper, action="personalization_on")
    assert _status(response)["sp_privacy"] == ["on"]
    assert response.cookies["sp_consent"].value == "granted"


def test_forget_me_asks_for_confirmation_first(shopper: Client) -> None:
    page = shopper.get(CENTER).content.decode()
    assert 'value="forget"' not in page
    confirm = shopper.get(CENTER + "?sp_privacy=confirm_forget").content.decode()
    assert "Are you sure?" in confirm and 'value="forget"' in confirm


def test_forget_me_says_how_much_was_deleted(shopper: Client) -> None:
    _viewed("1", "2")
    response = _post(shopper, action="forget")
    status = _status(response)
    assert status["sp_privacy"] == ["forgotten"] and status["sp_erased"] == ["2"]
    page = Client().get(response["Location"]).content.decode()
    assert "we deleted everything we had stored about you (2 records)" in page


def test_an_unknown_action_comes_back_with_a_clear_message_not_an_error(shopper: Client) -> None:
    response = _post(shopper, action="drop_tables")
    assert _status(response)["sp_privacy"] == ["invalid"]
    page = shopper.get(response["Location"]).content.decode()
    assert "That change could not be made" in page


def test_an_unknown_message_kind_is_refused(shopper: Client) -> None:
    response = _post(shopper, action="message_off", message="spam")
    assert _status(response)["sp_privacy"] == ["invalid"]
    assert ShopperPreference.objects.count() == 0


def test_a_foreign_next_url_is_not_followed(shopper: Client) -> None:
    response = shopper.post(
        reverse("personalization:privacy_center"),
        {"action": "mute_category", "category": "chairs", "next": "https://evil.example/"},
    )
    assert urlsplit(response["Location"]).netloc == ""


def test_the_forms_are_csrf_protected() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("personalization:privacy_center"), {"action": "forget"})
    assert response.status_code == 403


def test_every_form_of_the_page_carries_a_csrf_token(shopper: Client) -> None:
    _viewed("1", "11")
    html = shopper.get(CENTER).content.decode()
    forms = html.count('<form method="post"')
    assert forms >= 3 and html.count('name="csrfmiddlewaretoken"') == forms


def test_forget_me_opened_in_a_browser_points_to_the_privacy_center() -> None:
    response = Client().get(reverse("personalization:forget_me"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{CENTER}"' in html
    assert 'name="action" value="forget"' in html


def test_forget_me_still_erases_on_post(shopper: Client) -> None:
    _viewed("1")
    response = shopper.post(reverse("personalization:forget_me"), HTTP_ACCEPT="application/json")
    assert response.json()["erased"]["events"] == 1


def test_message_switches_are_offered_to_signed_in_customers_only(
    shopper: Client, django_user_model: Any
) -> None:
    assert 'name="message"' not in shopper.get(CENTER).content.decode()
    user = django_user_model.objects.create_user("ada", password="pw")
    shopper.force_login(user)
    html = shopper.get(CENTER).content.decode()
    assert html.count('name="message"') == 3


def test_the_page_is_not_cached(shopper: Client) -> None:
    assert "no-store" in shopper.get(CENTER)["Cache-Control"]


def test_a_german_shopper_reads_the_privacy_center_in_german() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    _viewed("1", "2")
    html = client.get(CENTER).content.decode()
    assert "Dein Datenschutz" in html and "Personalisierung ausschalten" in html
    assert "Wir speichern 2 Einträge darüber" in html and "2 Produkte angesehen." in html


def test_forget_me_opened_in_a_german_browser_is_german() -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE="de").get(reverse("personalization:forget_me"))
    assert "Ja, vergiss mich" in html.content.decode()


@pytest.fixture
def redis_down(personalization: Any) -> None:
    """Redis configured but nothing listening: the plugin's stores are unreachable."""
    from personalization_plugin.tracking.testing import reset_tracking_state

    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    reset_tracking_state()


def test_forgetting_during_a_redis_outage_says_to_retry_not_an_error(
    shopper: Client, redis_down: None
) -> None:
    response = _post(shopper, action="forget")
    assert _status(response)["sp_privacy"] == ["unavailable"]
    page = shopper.get(response["Location"])
    assert page.status_code == 200
    assert "Something on our side is unavailable" in page.content.decode()


def test_the_page_during_a_redis_outage_says_the_data_cannot_be_shown(
    shopper: Client, redis_down: None
) -> None:
    page = shopper.get(CENTER)
    assert page.status_code == 200
    assert "We cannot show your data right now" in page.content.decode()
