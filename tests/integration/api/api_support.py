"""Helpers for the /autonomous API tests: emulator-mode ID tokens and documents in the spec's shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud.auth import emulator_id_token

PROJECT = "demo-salonflow"
NOW = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 10:30 in Kolkata


def id_token(uid: str, salon_roles: dict[str, str] | None, project: str = PROJECT) -> str:
    """An unsigned ID token as the Firebase Auth emulator issues (accepted only in emulator mode)."""
    return emulator_id_token(uid, project, {"salon_roles": salon_roles} if salon_roles is not None else None)


def gap_doc(salon_id: str, gap_id: str, start: datetime, *, status: str = "open", priority: str = "high",
            created: datetime = NOW) -> dict[str, Any]:
    return {
        "id": gap_id, "salon_id": salon_id, "staff_id": "staff_rahul", "staff_name": "Rahul Kumar",
        "date": start.date().isoformat(), "start_time": start, "end_time": start + timedelta(hours=1),
        "duration_minutes": 60, "priority": priority, "status": status, "potential_revenue": 500,
        "services_fittable": ["svc_cut"], "fill_attempts": 0, "last_attempt_at": None, "filled_by": None,
        "created_at": created, "updated_at": created,
    }


def approval_doc(salon_id: str, approval_id: str, *, created: datetime = NOW, status: str = "pending",
                 ttl: timedelta = timedelta(minutes=15)) -> dict[str, Any]:
    return {
        "id": approval_id, "salon_id": salon_id, "decision_id": "dec_1", "agent_name": "gap_fill_agent",
        "action_type": "gap_fill", "action_summary": "Fill 60-min gap with VIP customer Priya",
        "action_details": {"gap_id": "gap_1", "customer_id": "cust_priya", "customer_name": "Priya Sharma",
                           "staff_name": "Rahul", "time_slot": "2:00 PM - 3:00 PM", "potential_revenue": 500},
        "priority": "medium", "status": status, "expires_at": created + ttl,
        "notifications_sent": {"whatsapp": True, "push": True, "email": False},
        "response": {"action": None, "responded_by": None, "responded_at": None, "notes": None},
        "created_at": created, "updated_at": created,
    }
