"""Builders of valid documents for the repository tests (one salon day in IST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from salonflow.domain import (
    AgentState,
    Approval,
    AuditLog,
    AutonomousDecision,
    Booking,
    Customer,
    CustomerScore,
    DecisionApproval,
    Gap,
    Outreach,
    Salon,
    Service,
    Staff,
    WaitlistEntry,
    ids,
)

NOW = datetime(2024, 1, 15, 4, 30, tzinfo=UTC)  # 10:00 in Kolkata


def salon(salon_id: str, **changes: Any) -> Salon:
    return Salon.model_validate({"id": salon_id, "name": f"Salon {salon_id}", "created_at": NOW, "updated_at": NOW,
                                 **changes})


def staff(salon_id: str, staff_id: str, **changes: Any) -> Staff:
    return Staff.model_validate({
        "id": staff_id, "salon_id": salon_id, "name": f"Stylist {staff_id}",
        "working_hours": {"monday": [{"start": "10:00", "end": "19:00"}]},
        "created_at": NOW, "updated_at": NOW, **changes,
    })


def service(salon_id: str, service_id: str, **changes: Any) -> Service:
    return Service.model_validate({
        "id": service_id, "salon_id": salon_id, "name": "Haircut", "category": "hair", "duration_minutes": 60,
        "price_paise": 50_000, "cost_paise": 15_000, "created_at": NOW, "updated_at": NOW, **changes,
    })


def customer(salon_id: str, customer_id: str, phone: str = "+919876543210", **changes: Any) -> Customer:
    return Customer.model_validate({
        "id": customer_id, "salon_id": salon_id, "name": f"Customer {customer_id}", "phone": phone,
        "created_at": NOW, "updated_at": NOW, **changes,
    })


def booking(salon_id: str, booking_id: str, start: datetime, minutes: int = 60, **changes: Any) -> Booking:
    return Booking.model_validate({
        "id": booking_id, "salon_id": salon_id, "customer_id": "cust_1", "staff_id": "staff_1",
        "service_id": "svc_1", "start_time": start, "end_time": start + timedelta(minutes=minutes),
        "price_paise": 50_000, "source": "owner_app", "created_at": NOW, "updated_at": NOW, **changes,
    })


def waitlist(salon_id: str, entry_id: str, **changes: Any) -> WaitlistEntry:
    return WaitlistEntry.model_validate({
        "id": entry_id, "salon_id": salon_id, "customer_id": "cust_1", "service_id": "svc_1",
        "created_at": NOW, "updated_at": NOW, "expires_at": NOW + timedelta(days=7), **changes,
    })


def gap(salon_id: str, start: datetime, minutes: int = 60, staff_id: str = "staff_1", **changes: Any) -> Gap:
    end = start + timedelta(minutes=minutes)
    return Gap.model_validate({
        "id": ids.gap_id(salon_id, staff_id, start, end), "salon_id": salon_id, "staff_id": staff_id,
        "staff_name": "Rahul", "date": "2024-01-15", "start_time": start, "end_time": end,
        "duration_minutes": minutes, "created_at": NOW, "updated_at": NOW, **changes,
    })


def decision(salon_id: str, decision_id: str | None = None, **changes: Any) -> AutonomousDecision:
    return AutonomousDecision.model_validate({
        "id": decision_id or ids.new_id(ids.DECISION), "salon_id": salon_id, "agent_name": "gap_fill_agent",
        "decision_type": "gap_fill", "autonomy_level": "full_auto", "action_taken": "outreach_initiated",
        "approval": DecisionApproval.not_required(), "created_at": NOW, "updated_at": NOW,
        "expires_at": NOW + timedelta(minutes=15), **changes,
    })


def approval(salon_id: str, approval_id: str, **changes: Any) -> Approval:
    return Approval.model_validate({
        "id": approval_id, "salon_id": salon_id, "decision_id": "dec_1", "agent_name": "gap_fill_agent",
        "action_type": "gap_fill", "action_summary": "Fill 60-min gap", "expires_at": NOW + timedelta(minutes=15),
        "created_at": NOW, "updated_at": NOW, **changes,
    })


def outreach(salon_id: str, customer_id: str = "cust_1", slot: datetime = NOW, **changes: Any) -> Outreach:
    return Outreach.model_validate({
        "id": ids.outreach_id(salon_id, customer_id, "gap_fill_offer", slot), "salon_id": salon_id,
        "customer_id": customer_id, "customer_name": "Priya", "customer_phone": "+919876543210",
        "outreach_type": "gap_fill", "channel": "whatsapp", "message": "A slot is free at 2 PM",
        "trigger_id": "gap_1", "trigger_type": "gap", "expires_at": NOW + timedelta(minutes=15),
        "created_at": NOW, "updated_at": NOW, **changes,
    })


def agent_state(salon_id: str, agent_name: str = "gap_fill_agent", **changes: Any) -> AgentState:
    state = AgentState.initial(salon_id, agent_name, now=NOW, today=NOW.date())
    return state.model_copy(update=changes) if changes else state


def score(salon_id: str, customer_id: str, **changes: Any) -> CustomerScore:
    return CustomerScore.model_validate({
        "id": ids.customer_score_id(customer_id), "salon_id": salon_id, "customer_id": customer_id,
        "created_at": NOW, "updated_at": NOW, **changes,
    })


def audit(salon_id: str, **changes: Any) -> AuditLog:
    return AuditLog.model_validate({
        "id": ids.new_id(ids.AUDIT_LOG), "salon_id": salon_id, "event_type": "decision_made",
        "actor": "gap_fill_agent", "action": "Decision: gap_fill", "resource_type": "decision",
        "resource_id": "dec_1", "created_at": NOW, **changes,
    })
