"""The seven spec collections: our models accept the spec's example documents and write them back field for field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from salonflow.domain import (
    AgentState,
    Approval,
    AuditLog,
    AutonomousDecision,
    CustomerScore,
    FirestoreDocument,
    Gap,
    Outreach,
)
from salonflow.domain import spec_examples as spec

# Keys the spec shows as timestamps ("2024-01-15T10:00:00Z"): stored as Firestore Timestamps.
# Date-only keys ("2024-01-15") stay ISO strings, as the spec shows them.
CASES: list[tuple[type[FirestoreDocument], dict[str, Any], str]] = [
    (AutonomousDecision, spec.AUTONOMOUS_DECISION, "dec_xxx"),
    (AgentState, spec.AGENT_STATE, "gap_fill_agent"),
    (Approval, spec.APPROVAL, "apr_xxx"),
    (AuditLog, spec.AUDIT_LOG, "log_xxx"),
    (CustomerScore, spec.CUSTOMER_SCORE, "cust_xxx"),
    (Gap, spec.GAP, "gap_xxx"),
    (Outreach, spec.OUTREACH, "out_xxx"),
]

# Optional fields we add to outreach for governance and the Twilio adapter (documented in docs/schema.md).
OUTREACH_ADDITIONS = {
    "decision_id",
    "agent_name",
    "intent",
    "category",
    "content_sid",
    "content_variables",
    "scheduled_for",
    "suppression_reason",
}
DELIVERY_ADDITIONS = {"error_code", "provider_status", "send_started_at"}
# How a no-show / retention / upsell case ended, for the lift (intent to treat; documented in docs/schema.md).
DECISION_ADDITIONS = {"case_outcome"}


def as_stored(value: Any) -> Any:
    """The spec example as Firestore holds it: ISO instants become aware datetimes, dates stay strings."""
    if isinstance(value, dict):
        return {key: as_stored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_stored(item) for item in value]
    if isinstance(value, str) and len(value) == 20 and value.endswith("Z") and value[10] == "T":
        return datetime.fromisoformat(value)
    return value


def without_additions(model: type[FirestoreDocument], document: dict[str, Any]) -> dict[str, Any]:
    if model is AgentState:
        return agent_state_without_additions(document)
    if model is AutonomousDecision:
        return {key: value for key, value in document.items() if key not in DECISION_ADDITIONS}
    if model is not Outreach:
        return document
    trimmed = {key: value for key, value in document.items() if key not in OUTREACH_ADDITIONS}
    if "delivery" in trimmed and isinstance(trimmed["delivery"], dict):
        trimmed["delivery"] = {k: v for k, v in trimmed["delivery"].items() if k not in DELIVERY_ADDITIONS}
    return trimmed


def agent_state_without_additions(document: dict[str, Any]) -> dict[str, Any]:
    """Beyond the spec: the salon-wide budget beside each rate-limit window, and the health's hourly record."""
    trimmed = dict(document)
    trimmed["rate_limits"] = {name: {k: v for k, v in window.items() if k not in ("salon_limit", "salon_current")}
                              for name, window in document["rate_limits"].items()}
    trimmed["health"] = {k: v for k, v in document["health"].items() if k != "recent_outcomes"}
    return trimmed


@pytest.mark.parametrize(("model", "example", "doc_id"), CASES, ids=[case[0].__name__ for case in CASES])
def test_each_spec_example_is_written_back_field_for_field(
    model: type[FirestoreDocument], example: dict[str, Any], doc_id: str
) -> None:
    stored = model.from_firestore(doc_id, example).to_firestore()
    assert without_additions(model, stored) == as_stored(example)
    assert typed(without_additions(model, stored)) == typed(as_stored(example))


def typed(value: Any) -> Any:
    """The value with every leaf paired with its type, so 10 and 10.0 (integer vs double in Firestore) differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def test_only_outreach_carries_fields_beyond_the_spec() -> None:
    stored = Outreach.from_firestore("out_xxx", spec.OUTREACH).to_firestore()
    assert set(stored) - set(spec.OUTREACH) == OUTREACH_ADDITIONS
    assert set(stored["delivery"]) - set(spec.OUTREACH["delivery"]) == DELIVERY_ADDITIONS


def test_timestamps_are_stored_as_utc_datetimes_and_dates_as_iso_strings() -> None:
    stored = CustomerScore.from_firestore("cust_xxx", spec.CUSTOMER_SCORE).to_firestore()
    assert stored["created_at"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert stored["created_at"].tzinfo is UTC
    assert stored["visit_frequency"]["last_visit"] == "2024-01-10"
    model = CustomerScore.from_firestore("cust_xxx", spec.CUSTOMER_SCORE)
    assert model.visit_frequency.last_visit == date(2024, 1, 10)


def test_enums_are_stored_as_their_plain_string_values() -> None:
    stored = AutonomousDecision.from_firestore("dec_xxx", spec.AUTONOMOUS_DECISION).to_firestore()
    assert type(stored["decision_type"]) is str
    assert type(stored["approval"]["status"]) is str
    assert stored["revenue_impact"] == {"potential": 500, "actual": 0, "currency": "INR"}


def test_agent_state_is_stored_under_its_agent_name_with_the_spec_id() -> None:
    state = AgentState.from_firestore("gap_fill_agent", spec.AGENT_STATE)
    assert state.document_id == "gap_fill_agent"
    assert state.id == "state_salon_123_gap_fill_agent"
    assert set(state.counters.by_type) == {"gap_fill", "no_show_prevention"}


def test_customer_score_is_stored_under_its_customer_id_with_the_spec_id() -> None:
    score = CustomerScore.from_firestore("cust_xxx", spec.CUSTOMER_SCORE)
    assert score.document_id == "cust_xxx"
    assert score.id == "score_cust_xxx"


def test_a_document_stored_under_another_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="describes document"):
        Gap.from_firestore("gap_other", spec.GAP)
    with pytest.raises(ValueError, match="describes document"):
        AgentState.from_firestore("waitlist_agent", spec.AGENT_STATE)


def test_a_stored_document_without_an_id_field_takes_its_document_id() -> None:
    data = {key: value for key, value in spec.GAP.items() if key != "id"}
    assert Gap.from_firestore("gap_abc", data).id == "gap_abc"
    state = {key: value for key, value in spec.AGENT_STATE.items() if key != "id"}
    assert AgentState.from_firestore("gap_fill_agent", state).id == "state_salon_123_gap_fill_agent"


def test_initial_agent_state_has_the_spec_defaults() -> None:
    now = datetime(2024, 1, 15, 4, 30, tzinfo=UTC)
    state = AgentState.initial("salon_123", "gap_fill_agent", now=now, today=date(2024, 1, 15))
    stored = state.to_firestore()
    assert stored["config"] == {"max_hourly_actions": 20, "max_daily_actions": 100, "cooldown_minutes": 5, "custom": {}}
    assert stored["circuit_breaker"]["state"] == "closed"
    assert stored["rate_limits"]["hourly_actions"] == {"limit": 20, "current": 0, "remaining": 20,
                                                       "salon_limit": 20, "salon_current": 0}
    assert stored["counters"]["date"] == "2024-01-15"
