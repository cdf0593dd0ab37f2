"""Hostile input at event intake: arbitrary values for `build_event` and arbitrary JSON
bodies for the intake endpoint. Only InvalidEvent (never another exception) from the
API; only 202/400/403/413/429 with JSON bodies from the endpoint; nothing stored for a
rejected event, everything stored for an accepted one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization_plugin.core.events import (
    STOREFRONT_FIELDS,
    EventType,
    TrackedEvent,
    build_event,
)
from personalization_plugin.core.exceptions import InvalidEvent
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id
from personalization_plugin.tracking.tokens import intake_token

VID = "f00df00df00df00df00df00df00df00d"
EXAMPLES = 150

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=300)
    | st.sampled_from(["1", "0", "-1", "1e400", "NaN", "", " ", "<script>", "9" * 40])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
event_types = st.sampled_from([t.value for t in EventType]) | st.text(max_size=12) | json_values
field_names = st.sampled_from(
    [f for f in STOREFRONT_FIELDS if f != "recommendation_id"]
    + ["customer_id", "session_id", "order_id", "currency", "payload", "price"]
)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(kind=event_types, values=st.dictionaries(field_names, json_values, max_size=6))
def test_build_event_raises_only_invalid_event(kind: Any, values: dict[str, Any]) -> None:
    if not isinstance(values.get("payload", {}), dict):
        values["payload"] = {"raw": values["payload"]}
    try:
        event = build_event(kind, visitor_id=VID, **values)
    except InvalidEvent as exc:
        assert str(exc), "the error says what is wrong"
        return
    assert TrackedEvent.from_json(event.to_json()) == event


def browser_event(catalog_ids: list[str]) -> st.SearchStrategy[Any]:
    good = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["view", "impression", "click", "cart_add"]),
            "product_id": st.sampled_from(catalog_ids),
        },
        optional={name: json_values for name in STOREFRONT_FIELDS if name != "product_id"},
    )
    wild = st.dictionaries(
        st.sampled_from(["type", *STOREFRONT_FIELDS]) | st.text(max_size=6), json_values
    )
    return good | wild | json_values


@pytest.fixture
def browser(catalog: list[Any], personalization: Any) -> Client:
    personalization(RATE_LIMIT_PER_MINUTE=10_000_000)
    client = Client(REMOTE_ADDR="127.0.0.5")
    client.cookies["sp_vid"] = sign_visitor_id(VID)
    return client


def post(client: Client, body: bytes) -> Any:
    return client.post("/personalization/events/", data=body, content_type="text/plain")


def stored() -> int:
    get_backend().flush()
    return Event.objects.filter(visitor_id=VID).count()


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_intake_accepts_or_rejects_every_body_cleanly(
    browser: Client, catalog: list[Any], data: st.DataObject
) -> None:
    ids = [str(p.pk) for p in catalog] + ["999999", ""]
    events = data.draw(st.lists(browser_event(ids), max_size=6), label="events")
    envelope = data.draw(
        st.sampled_from(["ok", "no-token", "bad-token", "not-a-list", "not-json", "raw"]),
        label="envelope",
    )
    token = intake_token(VID)
    if envelope == "ok":
        body: Any = {"token": token, "events": events}
    elif envelope == "no-token":
        body = {"events": events}
    elif envelope == "bad-token":
        body = {"token": data.draw(json_values), "events": events}
    elif envelope == "not-a-list":
        body = {"token": token, "events": data.draw(json_values)}
    elif envelope == "raw":
        body = data.draw(json_values)
    raw = b"\xff{not json" if envelope == "not-json" else json.dumps(body).encode()

    before = stored()
    response = post(browser, raw)
    assert response.status_code in (202, 400, 403, 413, 429), response.content[:300]
    payload = response.json()
    if response.status_code == 202:
        assert payload["accepted"] + payload["rejected"] == len(body["events"])
        assert all(e["error"] for e in payload["errors"])
        assert stored() - before == payload["accepted"]
    else:
        assert payload["error"]
        assert stored() == before


def test_oversized_body_is_refused_with_413(browser: Client) -> None:
    body = json.dumps({"token": intake_token(VID), "events": [{"query": "x" * 400_000}]})
    response = post(browser, body.encode())
    assert response.status_code == 413 and "larger than" in response.json()["error"]


def test_too_many_events_are_refused_with_413(browser: Client, catalog: list[Any]) -> None:
    events = [{"type": "view", "product_id": str(catalog[0].pk)}] * 51
    response = post(browser, json.dumps({"token": intake_token(VID), "events": events}).encode())
    assert response.status_code == 413 and stored() == 0


def test_rate_limit_per_visitor_answers_429(catalog: list[Any], personalization: Any) -> None:
    personalization(RATE_LIMIT_PER_MINUTE=20)
    client = Client(REMOTE_ADDR="127.0.0.6")
    client.cookies["sp_vid"] = sign_visitor_id(VID)
    events = [{"type": "view", "product_id": str(catalog[0].pk)}] * 10
    body = json.dumps({"token": intake_token(VID), "events": events}).encode()
    assert [post(client, body).status_code for _ in range(3)] == [202, 202, 429]
    assert stored() == 20


def test_rate_limit_per_ip_answers_429_for_many_visitors(
    catalog: list[Any], personalization: Any
) -> None:
    personalization(RATE_LIMIT_PER_MINUTE=20)
    statuses = []
    for n in range(3):
        visitor = f"{n:032x}"
        client = Client(REMOTE_ADDR="127.0.0.8")
        client.cookies["sp_vid"] = sign_visitor_id(visitor)
        events = [{"type": "view", "product_id": str(catalog[0].pk)}] * 10
        body = json.dumps({"token": intake_token(visitor), "events": events}).encode()
        response = post(client, body)
        statuses.append(response.status_code)
    assert statuses == [202, 202, 429]
    assert response["Retry-After"] == "60"


def test_token_of_another_visitor_is_refused(browser: Client, catalog: list[Any]) -> None:
    events = [{"type": "view", "product_id": str(catalog[0].pk)}]
    body = json.dumps({"token": intake_token("someone-else"), "events": events}).encode()
    assert post(browser, body).status_code == 403 and stored() == 0


def test_forged_visitor_cookie_gets_no_intake(catalog: list[Any]) -> None:
    client = Client()
    client.cookies["sp_vid"] = VID + ":forgedsignature"
    events = [{"type": "view", "product_id": str(catalog[0].pk)}]
    body = json.dumps({"token": intake_token(VID), "events": events}).encode()
    assert post(client, body).status_code == 403
    assert stored() == 0


def test_out_of_range_position_is_rejected_and_cannot_block_the_flush(
    browser: Client, catalog: list[Any]
) -> None:
    product = str(catalog[0].pk)
    events = [
        {"type": "impression", "product_id": product, "placement": "for_you", "position": 2**70},
        {"type": "impression", "product_id": product, "placement": "for_you", "position": 2},
    ]
    response = post(browser, json.dumps({"token": intake_token(VID), "events": events}).encode())
    assert response.json()["accepted"] == 1
    assert "position must be between" in response.json()["errors"][0]["error"]
    assert stored() == 1, "the flush stores the good event"


@pytest.mark.parametrize("price", ["1e10", "99999999999", "1E+400"])
def test_price_beyond_the_column_is_an_invalid_event(price: str) -> None:
    with pytest.raises(InvalidEvent, match="price must be"):
        build_event("purchase", visitor_id=VID, product_id="1", order_id="o1", price=price)


@pytest.mark.parametrize("field", ["query", "placement", "model_version", "currency"])
def test_non_text_values_for_text_fields_are_invalid_events(field: str) -> None:
    with pytest.raises(InvalidEvent, match=f"{field} must be a string"):
        build_event("view", visitor_id=VID, product_id="1", **{field: 5})
