"""Segment rule trees are validated on every save."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from personalization_plugin.segments.models import Segment

pytestmark = pytest.mark.django_db


def test_invalid_rule_tree_is_rejected_on_save_with_the_reason():
    with pytest.raises(ValidationError) as info:
        Segment.objects.create(name="Bad", slug="bad", rules={"rule": "loyal", "min_orders": -1})
    assert "rules.min_orders must be between 1 and 10000" in str(info.value)
    assert not Segment.objects.filter(slug="bad").exists()


def test_full_clean_reports_the_rules_field():
    segment = Segment(name="Bad", slug="bad", rules={"any": "loyal"})
    with pytest.raises(ValidationError) as info:
        segment.full_clean()
    assert "rules" in info.value.message_dict


def test_valid_segment_saves():
    segment = Segment.objects.create(
        name="Night owls",
        slug="night-owls",
        rules={"rule": "time_of_day", "from_hour": 22, "to_hour": 5},
    )
    assert segment.pk and str(segment) == "Night owls"
