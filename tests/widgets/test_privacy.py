"""`{% storefront_tracking %}` and `{% storefront_consent_banner %}`."""

from __future__ import annotations

from typing import Any

from django.template import Context, Template
from django.test import RequestFactory

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking.identity import Visitor
from personalization_plugin.tracking.tokens import check_intake_token

from .test_templatetags import parse


def render(source: str, visitor: Visitor, **headers: Any) -> str:
    request = RequestFactory().get("/shop/?page=2", **headers)
    request.visitor = visitor  # type: ignore[attr-defined]
    return Template("{% load storefront_widgets %}" + source).render(
        Context({"request": request, "csrf_token": "t0ken"})
    )


def test_tracking_tag_configures_the_script_by_data_attributes(db: None) -> None:
    visitor = Visitor(visitor_id="a" * 32, consent="granted")
    (script,) = parse(render("{% storefront_tracking %}", visitor)).find("script")
    assert script["src"] == "/static/storefront_widgets/tracker.js"
    assert script["data-sp-endpoint"] == "/personalization/events/"
    assert check_intake_token(visitor, script["data-sp-token"])
    assert script["data-sp-consent"] == "granted"
    assert script["data-sp-consent-mode"] == plugin_settings.CONSENT_MODE
    assert script["data-sp-can-track"] == "true"


def test_tracking_tag_says_when_tracking_is_not_allowed(db: None, personalization: Any) -> None:
    personalization(CONSENT_MODE="required")
    (script,) = parse(render("{% storefront_tracking %}", Visitor(visitor_id="b" * 32))).find(
        "script"
    )
    assert script["data-sp-consent"] == "unknown"
    assert script["data-sp-consent-mode"] == "required"
    assert script["data-sp-can-track"] == "false"


def test_tracking_tag_renders_nothing_when_the_plugin_is_disabled(
    db: None, personalization: Any
) -> None:
    personalization(ENABLED=False)
    assert render("{% storefront_tracking %}", Visitor()).strip() == ""


def test_banner_is_shown_when_consent_is_required_and_unknown(
    db: None, personalization: Any
) -> None:
    personalization(CONSENT_MODE="required")
    html = render("{% storefront_consent_banner %}", Visitor())
    doc = parse(html)
    (form,) = doc.find("form")
    assert form["action"] == "/personalization/consent/" and form["method"] == "post"
    buttons = doc.find("button")
    assert {b["value"] for b in buttons} == {"granted", "denied"}
    assert all(b["type"] == "submit" for b in buttons)
    assert doc.find("input", name="next")[0]["value"] == "/shop/?page=2"
    assert doc.find("input", name="csrfmiddlewaretoken")
    (region,) = doc.find("div", role="region")
    assert doc.find("p", id=region["aria-labelledby"])


def test_banner_is_hidden_once_the_shopper_chose(db: None, personalization: Any) -> None:
    personalization(CONSENT_MODE="required")
    assert render("{% storefront_consent_banner %}", Visitor(consent="denied")).strip() == ""
    assert render("{% storefront_consent_banner %}", Visitor(consent="granted")).strip() == ""


def test_banner_is_hidden_when_consent_is_implied(db: None, personalization: Any) -> None:
    personalization(CONSENT_MODE="implied")
    assert render("{% storefront_consent_banner %}", Visitor()).strip() == ""
