"""Pub/Sub subscription filters over message attributes."""

from __future__ import annotations

import pytest
from localcloud.pubsub.filter import compile_filter
from localcloud.pubsub.rpc import RpcError

GAP = {"event_type": "GAP_DETECTED", "salon_id": "s1"}
BOOKING = {"event_type": "BOOKING_CANCELLED", "salon_id": "s2"}


@pytest.mark.parametrize(
    ("text", "gap", "booking"),
    [
        ('attributes.event_type = "GAP_DETECTED"', True, False),
        ('attributes.event_type != "GAP_DETECTED"', False, True),
        ("attributes:salon_id", True, True),
        ("NOT attributes:salon_id", False, False),
        ('hasPrefix(attributes.event_type, "BOOKING_")', False, True),
        ('attributes.salon_id = "s1" AND attributes.event_type = "GAP_DETECTED"', True, False),
        ('attributes.salon_id = "s1" OR attributes.salon_id = "s2"', True, True),
        ('-(attributes.salon_id = "s1" OR attributes.salon_id = "s9")', False, True),
        ('attributes."event_type" = "GAP_DETECTED"', True, False),
        ('attributes.missing != "x"', True, True),
    ],
)
def test_a_filter_selects_messages_by_their_attributes(text: str, gap: bool, booking: bool) -> None:
    accepts = compile_filter(text)
    assert (accepts(GAP), accepts(BOOKING)) == (gap, booking)


@pytest.mark.parametrize(
    "text",
    [
        'attributes.a = "1" AND attributes.b = "2" OR attributes.c = "3"',
        "attributes.a = unquoted",
        'data = "x"',
        "(attributes:a",
        'hasPrefix(attributes.a "x")',
    ],
)
def test_a_malformed_filter_is_invalid_argument(text: str) -> None:
    with pytest.raises(RpcError) as raised:
        compile_filter(text)
    assert raised.value.code.name == "INVALID_ARGUMENT"
