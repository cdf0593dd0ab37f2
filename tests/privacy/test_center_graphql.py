"""GraphQL parity with the privacy center: the same data and the same code paths."""
# ruff: noqa: F811  (pytest fixtures imported from the GraphQL tests)

from __future__ import annotations

from typing import Any

import pytest
from gql import GraphQLRequest, gql

from personalization_plugin.models import Event, ShopperPreference
from personalization_plugin.tracking.backends import get_backend
from tests.graphql.conftest import endpoint, gql_client, raw_post  # noqa: F401

VIEW = gql(
    "mutation($p: ID, $t: String) { trackEvent(input: {type: VIEW, productId: $p, token: $t})"
    " { recorded errors { message } } }"
)
PRIVACY = gql(
    "{ myPrivacy { personalization consent summary mutedCategories"
    " segments { slug reasons } messages { kind enabled } } }"
)


def _view(client: Any, product_id: str) -> None:
    """A view of a product of the privacy tests' catalog (tests.tracking.adapter)."""
    token = client.execute(gql("{ intakeToken }"))["intakeToken"]  # the intake needs it
    result = client.execute(GraphQLRequest(VIEW, variable_values={"p": product_id, "t": token}))
    assert result["trackEvent"]["recorded"] is True, result
    get_backend().flush()
    assert Event.objects.filter(product_id=product_id).exists()


@pytest.fixture(autouse=True)
def _clean(transactional_db: None) -> None:
    from tests.segments.conftest import reset_segment_state

    reset_segment_state()


def test_my_privacy_tells_what_is_stored_in_words(gql_client: Any) -> None:
    gql_client.execute(gql("{ myData { visitorId } }"))  # the first request issues the cookie
    _view(gql_client, "1")
    mine = gql_client.execute(PRIVACY)["myPrivacy"]
    assert mine["personalization"] is True
    assert "1 product viewed." in mine["summary"]
    assert [m["kind"] for m in mine["messages"]] == [
        "abandoned_cart",
        "browse_abandonment",
        "win_back",
    ]


def test_set_category_muted_is_stored_for_the_requester(gql_client: Any) -> None:
    gql_client.execute(gql("{ myData { visitorId } }"))
    mutation = gql('mutation { setCategoryMuted(categoryId: "tables", muted: true) '
                   "{ mutedCategories errors { code } } }")  # fmt: skip
    assert gql_client.execute(mutation)["setCategoryMuted"] == {
        "mutedCategories": ["tables"],
        "errors": [],
    }
    assert gql_client.execute(PRIVACY)["myPrivacy"]["mutedCategories"] == ["tables"]
    assert ShopperPreference.objects.count() == 1


def test_an_unknown_message_kind_comes_back_in_errors(gql_client: Any) -> None:
    mutation = gql(
        'mutation { setMessageEnabled(kind: "spam", enabled: false) { errors { code field } } }'
    )
    errors = gql_client.execute(mutation)["setMessageEnabled"]["errors"]
    assert errors == [{"code": "INVALID", "field": "kind"}]


def test_forget_me_erases_and_opts_out(gql_client: Any) -> None:
    gql_client.execute(gql("{ myData { visitorId } }"))
    _view(gql_client, "2")
    result = gql_client.execute(
        gql("mutation { forgetMe { erasedEvents consent errors { code } } }")
    )
    assert result["forgetMe"] == {"erasedEvents": 1, "consent": "denied", "errors": []}
    assert Event.objects.count() == 0
    assert gql_client.transport.session.cookies.get("sp_consent") == "denied"
    assert gql_client.execute(PRIVACY)["myPrivacy"]["personalization"] is False


def test_my_privacy_takes_no_id_argument(endpoint: str) -> None:  # noqa: F811
    response = raw_post(endpoint, '{ myPrivacy(visitorId: "abc") { consent } }')
    assert "visitorId" in response.json()["errors"][0]["message"]
