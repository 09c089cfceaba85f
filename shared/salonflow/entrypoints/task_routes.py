"""What each internal task does: the task payload names the work, the service layer does it.

Every handler re-reads current state (tasks may be stale or repeated) and returns a small JSON
summary that the idempotency record keeps for replays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from salonflow.entrypoints.internal import BadTask, TaskHandler
from salonflow.ports import TaskQueue

EXECUTE = "/internal/tasks/execute"
SEND_NOTIFICATION = "/internal/tasks/send-notification"
ANALYTICS = "/internal/tasks/analytics"
CLEANUP = "/internal/tasks/cleanup"


def service_ports() -> Any:
    from salonflow import runtime

    return runtime.service_ports()


def _client() -> Any:
    from salonflow import runtime

    return runtime.firestore()


def _instant(payload: Mapping[str, Any], key: str, default: datetime) -> datetime:
    raw = payload.get(key)
    if raw is None:
        return default
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError as error:
        raise BadTask(f"{key} is not an ISO 8601 instant") from error


def run_agent_task(payload: Mapping[str, Any], now: datetime) -> Mapping[str, Any]:
    from salonflow.services.runner import run_agent

    # The schedule time only names the run (dedupe); a retried or late delivery decides on the
    # world as it is now, never as it was, so nothing is ever written with a time in the past.
    _instant(payload, "scheduled_for", now)
    report = run_agent(_client(), payload["salon_id"], str(payload["agent_name"]), now, service_ports())
    return {"agent_name": report.agent_name, "proposals": len(report.proposals),
            "executions": [e.result.value for e in report.executions], **report.details}


# A slot just opened (a cancellation, a move): run the agents that fill it now rather than at their next
# five-minute tick. The waitlist first: a gap's first wave is the waitlist's when an entry matches it, and
# gap fill skips such a gap; gap fill takes the gaps nobody on the waitlist fits and later waves.
NOW_RUNS_FOR_OPENED_GAPS = ("waitlist_agent", "gap_fill_agent")


def runs_for_opened_gaps(salon_id: str, opened: list[str], now: datetime) -> list[tuple[dict[str, Any], str]]:
    """The agent runs (task payload, dedupe key) a newly opened or reopened set of gaps asks for.

    The dedupe key names the gaps, so a redelivered trigger or a replayed task enqueues each run once.
    """
    if not opened:
        return []
    gaps = "|".join(sorted(set(opened)))
    return [({"salon_id": salon_id, "agent_name": agent, "scheduled_for": now.isoformat()},
             f"{agent.removesuffix('_agent')}_now|{salon_id}|{gaps}") for agent in NOW_RUNS_FOR_OPENED_GAPS]


def booking_changed(payload: Mapping[str, Any], now: datetime) -> Mapping[str, Any]:
    from salonflow import runtime

    return react_to_booking_change(_client(), service_ports(), runtime.task_queue, payload["salon_id"],
                                   str(payload["booking_id"]), now)


def react_to_booking_change(client: Any, ports: Any, queue: Callable[[], TaskQueue], salon_id: str,
                            booking_id: str, now: datetime) -> dict[str, Any]:
    """What a written booking sets off: gap detection for its stylist's day, the customer's score, and the
    agents that fill newly opened gaps (the queue is only built when a gap opened)."""
    from salonflow.adapters.firestore.repositories import SalonRepositories
    from salonflow.services.gap_fill_service import GapService
    from salonflow.services.housekeeping import ScoreService

    repos = SalonRepositories(client, salon_id)
    booking, salon = repos.bookings.get(booking_id), repos.salon.get()
    if booking is None or salon is None:
        return {"booking": "gone"}
    day = booking.start_time.astimezone(salon.zone).date()
    detected = GapService(client, salon_id, ports).detect(now, days=[day], staff_id=booking.staff_id)
    ScoreService(client, salon_id).on_booking_changed(booking.customer_id, now)
    opened = [*detected.created, *detected.reopened]
    if opened:
        tasks = queue()
        for run_payload, dedupe_key in runs_for_opened_gaps(salon_id, opened, now):
            tasks.enqueue("autonomous-agents", EXECUTE, run_payload, dedupe_key=dedupe_key)
    return {"booking": booking.id, "status": booking.status.value,
            "gaps_created": list(detected.created), "gaps_reopened": list(detected.reopened),
            "gaps_filled": list(detected.filled)}


def approval_decided(payload: Mapping[str, Any], now: datetime) -> Mapping[str, Any]:
    from salonflow.services.approval_service import ApprovalService

    result = ApprovalService(_client(), payload["salon_id"], service_ports()).sync_from_document(
        str(payload["approval_id"]), now)
    return {"approval": result.approval_id, "status": result.status.value, "changed": result.changed}


def perform_decision(payload: Mapping[str, Any], now: datetime) -> Mapping[str, Any]:
    from salonflow.services.executor import Executor

    execution = Executor(_client(), payload["salon_id"], service_ports()).perform_decision(
        str(payload["decision_id"]), now)
    return {"decision": execution.decision_id, "result": execution.result.value}


def inbound_message(payload: Mapping[str, Any], now: datetime) -> Mapping[str, Any]:
    from salonflow.entrypoints.inbound import handle_inbound

    return handle_inbound(_client(), payload, now, service_ports())


def voice_choice(payload: Mapping[str, Any], now: datetime) -> Mapping[str, Any]:
    from salonflow.services.reply_service import ReplyService

    outcome = ReplyService(_client(), payload["salon_id"], service_ports()).handle_call_digits(
        str(payload["decision_id"]), str(payload["digits"]), now)
    return {"action": outcome.action.value, "booking_status": outcome.booking_status}


def delivery_failure(payload: Mapping[str, Any], now: datetime) -> Mapping[str, Any]:
    from salonflow.entrypoints.inbound import handle_delivery_failure

    return handle_delivery_failure(_client(), payload, now)


EXECUTE_KINDS: dict[str, TaskHandler] = {
    "booking_changed": booking_changed,
    "approval_decided": approval_decided,
    "perform_decision": perform_decision,
    "inbound_message": inbound_message,
    "voice_choice": voice_choice,
    "delivery_failure": delivery_failure,
}


def route_task(path: str, payload: Mapping[str, Any]) -> TaskHandler:
    if path in (ANALYTICS, CLEANUP) or (path == EXECUTE and "agent_name" in payload and "kind" not in payload):
        if not isinstance(payload.get("agent_name"), str):
            raise BadTask("an agent run names its agent_name")
        return run_agent_task
    if path == EXECUTE:
        kind = payload.get("kind")
        if kind not in EXECUTE_KINDS:
            raise BadTask(f"unknown task kind {kind!r}; expected one of {sorted(EXECUTE_KINDS)}")
        return EXECUTE_KINDS[str(kind)]
    if path == SEND_NOTIFICATION:
        if "decision_id" not in payload:
            raise BadTask("send-notification needs a decision_id")
        return perform_decision
    raise BadTask(f"no task handler for {path}")
