"""Shared fixtures for the firestore.rules attack matrix: users, stored documents and operation builders."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path as FilePath
from typing import Any

from localcloud.rules import Constraint, QueryInfo, Ruleset, RulesOperation

RULES_FILE = FilePath(__file__).resolve().parents[3] / "firestore.rules"
NOW = datetime(2024, 1, 15, 10, 5, tzinfo=UTC)
EARLIER = NOW - timedelta(days=3)


def load_project_rules() -> Ruleset:
    return Ruleset.parse(RULES_FILE.read_text())


def user(uid: str, roles: Any) -> dict[str, Any]:
    return {"uid": uid, "token": {"sub": uid, "salon_roles": roles}}


OWNER = user("u_owner", {"s1": "owner"})
MANAGER = user("u_manager", {"s1": "manager"})
STAFF = user("u_staff", {"s1": "staff"})
OUTSIDER = user("u_outsider", {"s2": "owner"})
MULTI = user("u_multi", {"s1": "staff", "s2": "manager"})
NO_CLAIM: dict[str, Any] = {"uid": "u_none", "token": {"sub": "u_none"}}
WRONG_ROLE = user("u_admin", {"s1": "admin"})
CLAIM_NOT_A_MAP = user("u_str", "s1")
ANONYMOUS = None

MEMBERS = {"owner": OWNER, "manager": MANAGER, "staff": STAFF}
NON_MEMBERS = {
    "anonymous": ANONYMOUS,
    "other salon's owner": OUTSIDER,
    "signed in without claim": NO_CLAIM,
    "unknown role": WRONG_ROLE,
    "claim not a map": CLAIM_NOT_A_MAP,
}


def salon_doc(salon_id: str = "s1") -> dict[str, Any]:
    return {
        "id": salon_id,
        "name": "Glow Studio",
        "timezone": "Asia/Kolkata",
        "currency": "INR",
        "opening_hours": {"monday": [{"start": "10:00", "end": "19:00"}]},
        "autonomy": {
            "gap_fill": "supervised",
            "no_show_prevention": "full_auto",
            "waitlist_promotion": "full_auto",
            "discount_offer": "supervised",
            "dynamic_pricing": "supervised",
        },
        "quiet_hours": {
            "service": {"allowed_from": "08:00", "allowed_until": "21:00"},
            "promotional": {"allowed_from": "10:00", "allowed_until": "20:00"},
        },
        "rate_limits": {"hourly_actions": None, "daily_actions": None, "per_customer_hourly": None, "per_customer_daily": None},
        "approvers": [],
        "whatsapp_templates": {},
        "whatsapp_sender": None,
        "sms_sender_id": None,
        "holdout_share": 0.1,
        "offers": {"allowed": True, "max_discount_percent": 20},
        "outreach_paused_at": None,
        "outreach_paused_reason": None,
        "created_at": EARLIER,
        "updated_at": EARLIER,
    }


def staff_doc(staff_id: str = "st_new", salon_id: str = "s1") -> dict[str, Any]:
    return {
        "id": staff_id,
        "salon_id": salon_id,
        "name": "Rahul Kumar",
        "phone": "+919876543210",
        "working_hours": {
            "monday": [{"start": "10:00", "end": "14:00"}, {"start": "15:00", "end": "19:00"}],
            "tuesday": [{"start": "10:00", "end": "19:00"}],
        },
        "breaks": {"tuesday": [{"start": "13:00", "end": "13:30"}]},
        "leave": [{"start": NOW + timedelta(days=7), "end": NOW + timedelta(days=9), "reason": "wedding"}],
        "service_ids": ["sv1", "sv_2"],
        "active": True,
        "created_at": NOW,
        "updated_at": NOW,
    }


def service_doc(service_id: str = "sv_new", salon_id: str = "s1") -> dict[str, Any]:
    return {
        "id": service_id,
        "salon_id": salon_id,
        "name": "Haircut",
        "category": "hair",
        "duration_minutes": 45,
        "price_paise": 50000,
        "cost_paise": 10000,
        "staff_ids": ["st1"],
        "is_add_on": False,
        "active": True,
        "created_at": NOW,
        "updated_at": NOW,
    }


def consent_record(granted: bool = True, source: str = "in_salon", at: datetime = NOW) -> dict[str, Any]:
    return {
        "granted": granted,
        "granted_at": at if granted else EARLIER,
        "revoked_at": None if granted else at,
        "source": source,
        "updated_at": at,
    }


def customer_doc(customer_id: str = "c_new", salon_id: str = "s1") -> dict[str, Any]:
    return {
        "id": customer_id,
        "salon_id": salon_id,
        "name": "Priya Sharma",
        "phone": "+919812345678",
        "email": "priya@example.com",
        "language": "hi",
        "consent": {"whatsapp": {"service": consent_record()}},
        "last_inbound_message_at": None,
        "tags": ["vip"],
        "notes": None,
        "created_at": NOW,
        "updated_at": NOW,
    }


def booking_doc(booking_id: str = "b_new", salon_id: str = "s1") -> dict[str, Any]:
    start = NOW + timedelta(days=2)
    return {
        "id": booking_id,
        "salon_id": salon_id,
        "customer_id": "c1",
        "staff_id": "st1",
        "service_id": "sv1",
        "start_time": start,
        "end_time": start + timedelta(minutes=45),
        "status": "booked",
        "price_paise": 50000,
        "discount_paise": 0,
        "source": "phone",
        "confirmation_status": "not_requested",
        "late_cancellation": False,
        "cancelled_at": None,
        "decision_id": None,
        "outreach_id": None,
        "notes": None,
        "created_at": NOW,
        "updated_at": NOW,
    }


def waitlist_doc(entry_id: str = "w_new", salon_id: str = "s1") -> dict[str, Any]:
    return {
        "id": entry_id,
        "salon_id": salon_id,
        "customer_id": "c1",
        "service_id": "sv1",
        "preferred_staff_ids": ["st1"],
        "preferred_windows": [{"start": NOW + timedelta(days=1), "end": NOW + timedelta(days=1, hours=3)}],
        "priority": 0,
        "status": "waiting",
        "offered_at": None,
        "promoted_booking_id": None,
        "notes": None,
        "created_at": NOW,
        "updated_at": NOW,
        "expires_at": NOW + timedelta(days=7),
    }


def approval_doc(approval_id: str = "apr1", salon_id: str = "s1") -> dict[str, Any]:
    return {
        "id": approval_id,
        "salon_id": salon_id,
        "decision_id": "dec1",
        "agent_name": "gap_fill_agent",
        "action_type": "gap_fill",
        "action_summary": "Fill 60-min gap with VIP customer Priya",
        "action_details": {"gap_id": "gap1", "customer_id": "c1", "potential_revenue": 500},
        "priority": "medium",
        "status": "pending",
        "expires_at": NOW + timedelta(minutes=10),
        "notifications_sent": {"whatsapp": True, "push": True, "email": False},
        "response": {"action": None, "responded_by": None, "responded_at": None, "notes": None},
        "created_at": NOW - timedelta(minutes=5),
        "updated_at": NOW - timedelta(minutes=5),
    }


def approved(doc: dict[str, Any], uid: str, status: str = "approved", at: datetime = NOW) -> dict[str, Any]:
    after = copy.deepcopy(doc)
    after["status"] = status
    after["response"] = {
        "action": "approve" if status == "approved" else "reject",
        "responded_by": uid,
        "responded_at": at,
        "notes": None,
    }
    after["updated_at"] = at
    return after


class SalonData:
    """Documents that exist before (and after) the request, for get()/exists() in the rules."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {
            "salons/s1": salon_doc("s1"),
            "salons/s2": salon_doc("s2"),
            "salons/s1/customers/c1": customer_doc("c1"),
            "salons/s1/staff/st1": staff_doc("st1"),
            "salons/s1/services/sv1": service_doc("sv1"),
            "salons/s2/customers/c2": customer_doc("c2", "s2"),
            "salons/s2/staff/st2": staff_doc("st2", "s2"),
            "salons/s2/services/sv2": service_doc("sv2", "s2"),
        }

    def get(self, path: str) -> dict[str, Any] | None:
        return self.documents.get(path)

    def get_after(self, path: str) -> dict[str, Any] | None:
        return self.documents.get(path)


def get(path: str, auth: Any, resource: dict[str, Any] | None = None) -> RulesOperation:
    return RulesOperation("get", path, NOW, auth=auth, resource=resource if resource is not None else {"x": 1})


def create(path: str, auth: Any, data: dict[str, Any]) -> RulesOperation:
    return RulesOperation("create", path, NOW, auth=auth, resource=None, request_resource=data)


def update(path: str, auth: Any, before: dict[str, Any], after: dict[str, Any]) -> RulesOperation:
    return RulesOperation("update", path, NOW, auth=auth, resource=before, request_resource=after)


def delete(path: str, auth: Any, before: dict[str, Any] | None = None) -> RulesOperation:
    return RulesOperation("delete", path, NOW, auth=auth, resource=before if before is not None else {"x": 1})


def list_query(
    parent: str, collection: str, auth: Any, *constraints: Constraint, group: bool = False, limit: int | None = None
) -> RulesOperation:
    info = QueryInfo(collection, all_descendants=group, constraints=constraints, limit=limit)
    return RulesOperation("list", parent, NOW, auth=auth, query=info)


def edited(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    after = copy.deepcopy(doc)
    after.update(changes)
    return after


def without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key not in keys}
