"""Firestore triggers turn document changes into named tasks, so the work runs once per change.

Triggers are delivered at least once and out of order; the CloudEvent id names the task, so a
redelivered event enqueues nothing new, and the task handler re-reads current state instead of
trusting the (possibly stale) snapshot in the event.
"""

from __future__ import annotations

from typing import Any

from salonflow.ports import TaskQueue

EXECUTE_PATH = "/internal/tasks/execute"
AGENTS_QUEUE = "autonomous-agents"
DECIDED = ("approved", "rejected")


def _data(snapshot: Any) -> dict[str, Any]:
    return (snapshot.to_dict() or {}) if snapshot is not None else {}


def on_booking_written(event: Any, queue: TaskQueue) -> str | None:
    before, after = _data(event.data.before), _data(event.data.after)
    interesting = ("status", "start_time", "end_time", "staff_id", "service_id")
    if before and after and all(before.get(k) == after.get(k) for k in interesting):
        return None  # e.g. a note changed: nothing for the agents
    salon_id, booking_id = event.params["salonId"], event.params["bookingId"]
    queue.enqueue(AGENTS_QUEUE, EXECUTE_PATH, {
        "kind": "booking_changed", "salon_id": salon_id, "booking_id": booking_id,
        "before_status": before.get("status"), "after_status": after.get("status"),
    }, dedupe_key=f"booking_changed|{salon_id}|{event.id}")
    return booking_id


def on_approval_updated(event: Any, queue: TaskQueue) -> str | None:
    before, after = _data(event.data.before), _data(event.data.after)
    if before.get("status") == after.get("status") or after.get("status") not in DECIDED:
        return None
    salon_id, approval_id = event.params["salonId"], event.params["approvalId"]
    # One task per approval and outcome, however many times the change is delivered.
    queue.enqueue(AGENTS_QUEUE, EXECUTE_PATH, {
        "kind": "approval_decided", "salon_id": salon_id, "approval_id": approval_id,
        "status": after["status"],
    }, dedupe_key=f"approval_decided|{salon_id}|{approval_id}|{after['status']}")
    return approval_id
