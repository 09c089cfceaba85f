"""The salon-events envelope: deterministic ids, the spec's 11 types, attributes that match the payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from salonflow.adapters.pubsub_events import TOPIC_ID, EventType, SalonEvent, event_id_for

IST = timezone(timedelta(hours=5, minutes=30))
AT = datetime(2026, 11, 25, 15, 0, tzinfo=IST)

SPEC_EVENT_TYPES = [
    "AUTONOMOUS_DECISION",
    "GAP_DETECTED",
    "GAP_FILLED",
    "GAP_EXPIRED",
    "OUTREACH_SENT",
    "OUTREACH_DELIVERED",
    "OUTREACH_RESPONDED",
    "APPROVAL_REQUESTED",
    "APPROVAL_APPROVED",
    "APPROVAL_REJECTED",
    "APPROVAL_EXPIRED",
]


def gap_filled(**overrides: object) -> SalonEvent:
    arguments: dict[str, object] = {
        "salon_id": "salon_123",
        "resource_id": "gap_9x",
        "occurred_at": AT,
        "related": {"booking_id": "bk_1", "decision_id": "dec_7"},
        "data": {"booking_id": "bk_1", "actual_revenue": 80000},
    }
    arguments.update(overrides)
    return SalonEvent.create(EventType.GAP_FILLED, **arguments)  # type: ignore[arg-type]


def test_the_event_types_are_exactly_the_specs_eleven_on_topic_salon_events() -> None:
    assert [t.value for t in EventType] == SPEC_EVENT_TYPES
    assert TOPIC_ID == "salon-events"


def test_republishing_the_same_change_gives_the_same_event_id() -> None:
    first = gap_filled()
    again = gap_filled(occurred_at=AT + timedelta(seconds=3), data={"booking_id": "bk_1"})
    assert first.event_id == again.event_id
    assert first.event_id.startswith("evt_") and len(first.event_id) == 36


def test_different_changes_get_different_event_ids() -> None:
    ids = {
        event_id_for(EventType.GAP_FILLED, "salon_123", "gap_9x"),
        event_id_for(EventType.GAP_EXPIRED, "salon_123", "gap_9x"),
        event_id_for(EventType.GAP_FILLED, "salon_456", "gap_9x"),
        event_id_for(EventType.GAP_FILLED, "salon_123", "gap_9y"),
        event_id_for(EventType.OUTREACH_RESPONDED, "salon_123", "out_1", change_key="SM1"),
        event_id_for(EventType.OUTREACH_RESPONDED, "salon_123", "out_1", change_key="SM2"),
    }
    assert len(ids) == 6


def test_attributes_carry_salon_and_event_type() -> None:
    assert gap_filled().attributes() == {"salon_id": "salon_123", "event_type": "GAP_FILLED"}


def test_the_payload_is_documented_json_with_utc_time() -> None:
    payload = json.loads(gap_filled().to_message_data())
    assert set(payload) == {
        "schema_version",
        "event_id",
        "event_type",
        "salon_id",
        "occurred_at",
        "resource_type",
        "resource_id",
        "related",
        "data",
    }
    assert payload["resource_type"] == "gap"
    assert payload["occurred_at"] == "2026-11-25T09:30:00Z"
    assert payload["data"]["actual_revenue"] == 80000


def test_each_event_type_names_its_resource() -> None:
    kinds = {
        t: SalonEvent.create(t, salon_id="s", resource_id="r", occurred_at=AT).resource_type
        for t in EventType
    }
    assert {kinds[t] for t in EventType if t.value.startswith("APPROVAL")} == {"approval"}
    assert {kinds[t] for t in EventType if t.value.startswith("OUTREACH")} == {"outreach"}
    assert kinds[EventType.AUTONOMOUS_DECISION] == "decision"


def test_a_round_trip_through_message_data_and_attributes() -> None:
    event = gap_filled()
    assert SalonEvent.from_message(event.to_message_data(), event.attributes()) == event


def test_attributes_that_disagree_with_the_payload_are_rejected() -> None:
    event = gap_filled()
    with pytest.raises(ValueError):
        SalonEvent.from_message(
            event.to_message_data(), {"salon_id": "salon_456", "event_type": "GAP_FILLED"}
        )


def test_naive_timestamps_unknown_types_and_unserialisable_data_are_refused() -> None:
    with pytest.raises(ValidationError):
        gap_filled(occurred_at=datetime(2026, 11, 25, 9, 30))
    with pytest.raises(ValueError):
        SalonEvent.create("GAP_VANISHED", salon_id="s", resource_id="r", occurred_at=AT)
    with pytest.raises(TypeError):
        gap_filled(data={"when": datetime.now(UTC)})
