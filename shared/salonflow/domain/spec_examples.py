"""The spec's example documents, verbatim (JSON-style, ISO strings for timestamps).

Tests check that our models accept each one and write back exactly these fields, so the owner PWA can rely on
the spec's shapes. Also handy as OpenAPI examples.
"""

from __future__ import annotations

from typing import Any

AUTONOMOUS_DECISION: dict[str, Any] = {
    "id": "dec_xxx",
    "salon_id": "salon_123",
    "agent_name": "gap_fill_agent",
    "decision_type": "gap_fill",
    "autonomy_level": "supervised",
    "context": {
        "trigger_id": "gap_xxx",
        "trigger_type": "schedule_gap",
        "customer_id": "cust_xxx",
        "staff_id": "staff_xxx",
        "service_id": "svc_xxx",
        "time_slot": "2024-01-15T14:00:00Z",
    },
    "action_taken": "outreach_initiated",
    "action_details": {"gap_duration_minutes": 60, "potential_revenue": 500, "customer_segment": "vip"},
    "revenue_impact": {"potential": 500, "actual": 0, "currency": "INR"},
    "approval": {
        "required": True,
        "status": "pending",
        "approval_id": "apr_xxx",
        "approved_by": None,
        "approved_at": None,
    },
    "outcome": {"status": "pending", "result": None, "completed_at": None, "booking_created_id": None},
    "created_at": "2024-01-15T10:00:00Z",
    "updated_at": "2024-01-15T10:00:00Z",
    "expires_at": "2024-01-15T10:15:00Z",
}

AGENT_STATE: dict[str, Any] = {
    "id": "state_salon_123_gap_fill_agent",
    "salon_id": "salon_123",
    "agent_name": "gap_fill_agent",
    "status": "active",
    "last_execution": "2024-01-15T10:00:00Z",
    "next_scheduled": "2024-01-15T10:05:00Z",
    "circuit_breaker": {
        "state": "closed",
        "error_count": 0,
        "last_error": None,
        "last_error_time": None,
        "cooldown_until": None,
        "auto_recovery": True,
    },
    "config": {"max_hourly_actions": 20, "max_daily_actions": 100, "cooldown_minutes": 5, "custom": {}},
    "counters": {
        "date": "2024-01-15",
        "actions_taken": 15,
        "actions_successful": 14,
        "actions_failed": 1,
        "revenue_generated": 3500,
        "by_type": {
            "gap_fill": {"count": 10, "revenue": 2500},
            "no_show_prevention": {"count": 5, "revenue": 1000},
        },
    },
    "rate_limits": {
        "hourly_actions": {"limit": 20, "current": 15, "remaining": 5},
        "daily_actions": {"limit": 100, "current": 45, "remaining": 55},
    },
    "health": {
        "last_heartbeat": "2024-01-15T10:00:00Z",
        "consecutive_failures": 0,
        "average_response_time_ms": 150,
        "success_rate_24h": 0.95,
    },
    "created_at": "2024-01-01T00:00:00Z",
    "updated_at": "2024-01-15T10:00:00Z",
}

APPROVAL: dict[str, Any] = {
    "id": "apr_xxx",
    "salon_id": "salon_123",
    "decision_id": "dec_xxx",
    "agent_name": "gap_fill_agent",
    "action_type": "gap_fill",
    "action_summary": "Fill 60-min gap with VIP customer Priya",
    "action_details": {
        "gap_id": "gap_xxx",
        "customer_id": "cust_xxx",
        "customer_name": "Priya Sharma",
        "staff_name": "Rahul",
        "time_slot": "2:00 PM - 3:00 PM",
        "potential_revenue": 500,
    },
    "priority": "medium",
    "status": "pending",
    "expires_at": "2024-01-15T10:15:00Z",
    "notifications_sent": {"whatsapp": True, "push": True, "email": False},
    "response": {"action": None, "responded_by": None, "responded_at": None, "notes": None},
    "created_at": "2024-01-15T10:00:00Z",
    "updated_at": "2024-01-15T10:00:00Z",
}

AUDIT_LOG: dict[str, Any] = {
    "id": "log_xxx",
    "salon_id": "salon_123",
    "event_type": "decision_made",
    "severity": "info",
    "actor": "gap_fill_agent",
    "action": "Decision: gap_fill",
    "resource_type": "decision",
    "resource_id": "dec_xxx",
    "details": {"decision_type": "gap_fill", "autonomy_level": "supervised", "action_taken": "outreach_initiated"},
    "ip_address": None,
    "user_agent": None,
    "created_at": "2024-01-15T10:00:00Z",
}

CUSTOMER_SCORE: dict[str, Any] = {
    "id": "score_cust_xxx",
    "salon_id": "salon_123",
    "customer_id": "cust_xxx",
    "segment": "vip",
    "ltv": {"total": 25000, "last_12_months": 8000, "projected_annual": 10000, "average_per_visit": 500},
    "visit_frequency": {
        "total_visits": 50,
        "last_90_days": 8,
        "average_days_between": 11,
        "last_visit": "2024-01-10",
        "next_predicted": "2024-01-21",
    },
    "churn_risk": {"score": 25, "factors": ["decreasing_frequency"], "last_assessment": "2024-01-15"},
    "preferences": {
        "preferred_staff": ["staff_xxx"],
        "preferred_services": ["svc_xxx"],
        "preferred_time_slots": ["morning", "weekend"],
    },
    "engagement": {"whatsapp_opt_in": True, "response_rate": 0.8, "last_response": "2024-01-14"},
    "scores": {"retention": 75, "upsell": 60, "referral": 40},
    "created_at": "2024-01-01T00:00:00Z",
    "updated_at": "2024-01-15T10:00:00Z",
}

GAP: dict[str, Any] = {
    "id": "gap_xxx",
    "salon_id": "salon_123",
    "staff_id": "staff_xxx",
    "staff_name": "Rahul Kumar",
    "date": "2024-01-15",
    "start_time": "2024-01-15T14:00:00Z",
    "end_time": "2024-01-15T15:00:00Z",
    "duration_minutes": 60,
    "priority": "high",
    "status": "open",
    "potential_revenue": 500,
    "services_fittable": ["svc_xxx", "svc_yyy"],
    "fill_attempts": 2,
    "last_attempt_at": "2024-01-15T10:00:00Z",
    "filled_by": None,
    "created_at": "2024-01-15T08:00:00Z",
    "updated_at": "2024-01-15T10:00:00Z",
}

OUTREACH: dict[str, Any] = {
    "id": "out_xxx",
    "salon_id": "salon_123",
    "customer_id": "cust_xxx",
    "customer_name": "Priya Sharma",
    "customer_phone": "+919876543210",
    "outreach_type": "gap_fill",
    "channel": "whatsapp",
    "status": "pending",
    "message": "Hi Priya! We have a slot available today at 2 PM with Rahul...",
    "trigger_id": "gap_xxx",
    "trigger_type": "gap",
    "offer_details": {"discount_percent": 10, "valid_until": "2024-01-15T15:00:00Z"},
    "expires_at": "2024-01-15T14:15:00Z",
    "attempts": 1,
    "last_attempt_at": "2024-01-15T10:00:00Z",
    "response": {"received": False, "action": None, "responded_at": None, "booking_id": None},
    "delivery": {"message_id": None, "sent_at": None, "delivered_at": None, "read_at": None, "error": None},
    "created_at": "2024-01-15T10:00:00Z",
    "updated_at": "2024-01-15T10:00:00Z",
}

BY_COLLECTION: dict[str, dict[str, Any]] = {
    "autonomous_decisions": AUTONOMOUS_DECISION,
    "agent_states": AGENT_STATE,
    "approvals": APPROVAL,
    "audit_logs": AUDIT_LOG,
    "customer_scores": CUSTOMER_SCORE,
    "gaps": GAP,
    "outreach": OUTREACH,
}
