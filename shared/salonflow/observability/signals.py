"""One function per metric event, so each event's fields are spelled in one place: terraform/monitoring.tf's
filters and extractors (`jsonPayload.result`, `.amount`, `.seconds`, `.state`) and `metrics` / `alerts` read
these names.

Callers log after the write that made the event true has committed, and only when that write changed the
stored state (an idempotent transition that moved): handlers run at least once, the log says what happened
once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from salonflow.observability import log
from salonflow.observability.events import MetricEvent

SUCCESS, FAILED = "success", "failed"  # the outcome statuses the success rate counts (OutcomeStatus values)
DELIVERED = "delivered"  # outreach_delivery's `result` for a message that reached the phone


def decision_made(*, now: datetime, salon_id: str, agent_name: str, decision_type: str, decision_id: str,
                  autonomy_level: str, approval_required: bool) -> None:
    log.emit(MetricEvent.DECISION_MADE, now=now, salon_id=salon_id, agent_name=agent_name,
             decision_type=decision_type, decision_id=decision_id, autonomy_level=autonomy_level,
             approval_required=approval_required)


def decision_outcome(*, now: datetime, salon_id: str, agent_name: str, decision_id: str, status: str,
                     outcome: str, revenue: float = 0.0) -> None:
    """A decision's outcome became success or failed (other statuses are not counted by the success rate);
    a success that earned money is also `revenue_attributed`."""
    if status not in (SUCCESS, FAILED):
        return
    won = status == SUCCESS
    log.emit(MetricEvent.DECISION_OUTCOME, now=now, salon_id=salon_id, agent_name=agent_name,
             decision_id=decision_id, success=won, result="success" if won else "failure", outcome=outcome,
             severity="INFO" if won else "WARNING")
    if won and revenue > 0:
        log.emit(MetricEvent.REVENUE_ATTRIBUTED, now=now, salon_id=salon_id, agent_name=agent_name,
                 decision_id=decision_id, amount=revenue, currency="INR")


def approval_requested(*, now: datetime, salon_id: str, agent_name: str, approval_id: str,
                       decision_id: str) -> None:
    log.emit(MetricEvent.APPROVAL_REQUESTED, now=now, salon_id=salon_id, agent_name=agent_name,
             approval_id=approval_id, decision_id=decision_id)


def approval_answered(*, now: datetime, salon_id: str, agent_name: str, approval_id: str, decision_id: str,
                      status: str, requested_at: Any, answered_at: datetime | None = None) -> None:
    """`seconds` from the request to the answer (None when the request time is unknown: no distribution point)."""
    answered = answered_at or now
    seconds = (answered - requested_at).total_seconds() if isinstance(requested_at, datetime) else None
    log.emit(MetricEvent.APPROVAL_ANSWERED, now=now, salon_id=salon_id, agent_name=agent_name,
             approval_id=approval_id, decision_id=decision_id, status=status, seconds=seconds)


def approval_closed(*, now: datetime, salon_id: str, agent_name: str, approval_id: str, decision_id: str,
                    status: str) -> None:
    """An approval left the pending backlog without an answer (expired): not a response time."""
    log.emit(MetricEvent.APPROVAL_CLOSED, now=now, salon_id=salon_id, agent_name=agent_name,
             approval_id=approval_id, decision_id=decision_id, status=status, severity="NOTICE")


def breaker_state(*, now: datetime, salon_id: str, agent_name: str, state: str, previous: str | None,
                  **fields: Any) -> None:
    log.emit(MetricEvent.BREAKER_STATE, now=now, salon_id=salon_id, agent_name=agent_name,
             severity="CRITICAL" if state == "open" else "NOTICE", state=state, previous_state=previous, **fields)


def outreach_delivery(*, now: datetime, salon_id: str, agent_name: str, outreach_id: str, delivered: bool,
                      result: str, error: str | None = None) -> None:
    """A message reached the phone (`result` "delivered") or is known not to (the provider's failure status,
    or "send_failed" when the provider refused it)."""
    log.emit(MetricEvent.OUTREACH_DELIVERY, now=now, salon_id=salon_id, agent_name=agent_name,
             outreach_id=outreach_id, delivered=delivered, result=DELIVERED if delivered else result,
             error=error, severity="INFO" if delivered else "WARNING")
