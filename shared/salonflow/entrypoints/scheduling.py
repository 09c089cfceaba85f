"""Scheduler ticks fan out into one named Cloud Task per salon whose agent is due.

A tick reads only the due salons' agent states, so its cost grows with the salons that are due,
not with their data. Task names derive from (agent, salon, schedule time): Cloud Scheduler's
duplicated delivery of one tick (same ``X-CloudScheduler-ScheduleTime``) enqueues nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from salonflow.adapters.firestore.directory import due_agents
from salonflow.domain.agent_state import AGENT_INTERVALS_MINUTES
from salonflow.ports import EnqueueStatus, TaskQueue

# Which queue and internal endpoint runs each agent (the spec's task table).
AGENT_TASKS: dict[str, tuple[str, str]] = {
    "gap_fill_agent": ("autonomous-agents", "/internal/tasks/execute"),
    "no_show_prevention_agent": ("autonomous-agents", "/internal/tasks/execute"),
    "waitlist_agent": ("autonomous-agents", "/internal/tasks/execute"),
    "retention_agent": ("autonomous-agents", "/internal/tasks/execute"),
    "upsell_agent": ("autonomous-agents", "/internal/tasks/execute"),
    "analytics_agent": ("analytics", "/internal/tasks/analytics"),
    "cleanup_agent": ("cleanup", "/internal/tasks/cleanup"),
}
MAX_SALONS_PER_TICK = 5000


@dataclass
class FanOut:
    agent_name: str
    schedule_time: datetime
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"agent_name": self.agent_name, "schedule_time": self.schedule_time.isoformat(),
                "enqueued": len(self.created), "duplicates": len(self.duplicates)}


def run_key(agent_name: str, salon_id: str, schedule_time: datetime) -> str:
    return f"{agent_name}|{salon_id}|{schedule_time.isoformat()}"


def fan_out(client: Any, queue: TaskQueue, agent_name: str, schedule_time: datetime) -> FanOut:
    if agent_name not in AGENT_TASKS:
        raise ValueError(f"unknown agent {agent_name!r}")
    queue_name, path = AGENT_TASKS[agent_name]
    result = FanOut(agent_name, schedule_time)
    for due in due_agents(client, agent_name, schedule_time, limit=MAX_SALONS_PER_TICK):
        enqueued = queue.enqueue(
            queue_name,
            path,
            {"salon_id": due.salon_id, "agent_name": agent_name, "scheduled_for": schedule_time.isoformat()},
            dedupe_key=run_key(agent_name, due.salon_id, schedule_time),
        )
        bucket = result.created if enqueued.status is EnqueueStatus.CREATED else result.duplicates
        bucket.append(due.salon_id)
    return result


def interval_minutes(agent_name: str) -> int:
    return AGENT_INTERVALS_MINUTES[agent_name]
