"""The metric events: one log entry per event, named here so Terraform's filters and the local
metrics read the same names."""

from __future__ import annotations

from enum import StrEnum


class MetricEvent(StrEnum):
    DECISION_MADE = "decision_made"  # autonomous_decisions_total (label decision_type)
    DECISION_OUTCOME = "decision_outcome"  # autonomous_decisions_success_rate (field success)
    REVENUE_ATTRIBUTED = "revenue_attributed"  # autonomous_revenue_generated (field amount)
    BREAKER_STATE = "breaker_state"  # agent_circuit_breaker_state (field state)
    APPROVAL_REQUESTED = "approval_requested"  # pending approvals (approval_backlog alert)
    APPROVAL_ANSWERED = "approval_answered"  # approval_response_time_seconds (field seconds)
    APPROVAL_CLOSED = "approval_closed"  # left pending without an answer: expired (field status)
    OUTREACH_DELIVERY = "outreach_delivery"  # outreach_delivery_rate (field delivered)


# The six metric names of the spec, as Terraform declares them (prefixed with salonflow/ there).
METRIC_NAMES = (
    "autonomous_decisions_total",
    "autonomous_decisions_success_rate",
    "autonomous_revenue_generated",
    "agent_circuit_breaker_state",
    "approval_response_time_seconds",
    "outreach_delivery_rate",
)
