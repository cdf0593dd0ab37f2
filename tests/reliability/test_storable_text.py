"""Whatever text `build_event` accepts, the database stores: hypothesis draws every kind of
character (unpaired surrogates and NUL included) for the text fields, ids and payload.
Run on SQLite and PostgreSQL (PERSONALIZATION_TEST_DB=postgres); before NUL and unpaired
surrogates were refused, accepted events failed to store on both."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization_plugin.core.events import build_event
from personalization_plugin.core.exceptions import InvalidEvent
from personalization_plugin.tracking.backends.base import write_events

# Every Unicode category, surrogates (Cs) and control characters (Cc: NUL) included, with
# the characters databases refuse drawn often enough to be met in every run.
any_text = st.text(
    alphabet=st.characters(blacklist_categories=()) | st.sampled_from(["\x00", "\ud800", "\udfff"]),
    max_size=40,
)
json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | any_text
payloads = st.dictionaries(any_text, json_scalars | st.lists(json_scalars, max_size=3), max_size=3)


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=any_text,
    product=any_text,
    placement=any_text,
    session=any_text,
    recommendation=any_text,
    payload=payloads,
)
def test_every_accepted_event_is_stored(
    query: str, product: str, placement: str, session: str, recommendation: str, payload: Any
) -> None:
    try:
        event = build_event(
            "search",
            visitor_id="storable-visitor",
            query=query or "q",
            product_id=product,
            placement=placement,
            session_id=session,
            recommendation_id=recommendation,
            payload=payload,
        )
    except InvalidEvent as exc:
        assert str(exc)
        return
    with transaction.atomic():  # rolled back: each example starts from an empty table
        assert write_events([event]) == 1
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("query", "lamp \ud800"),
        ("query", "lamp \x00"),
        ("product_id", "4\x002"),
        ("placement", "\udfff"),
    ],
)
def test_unstorable_text_is_refused_naming_the_field(field: str, value: str) -> None:
    fields: dict[str, Any] = {"query": "lamp", field: value}
    with pytest.raises(InvalidEvent, match=field):
        build_event("search", visitor_id="storable-visitor", **fields)


def test_unstorable_payload_text_is_refused_naming_its_path() -> None:
    with pytest.raises(InvalidEvent, match=r"payload\.'items'\[1\]"):
        build_event("search", visitor_id="v", query="q", payload={"items": ["ok", "\x00"]})
