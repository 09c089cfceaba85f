"""The project's firestore.rules, evaluated by our engine: for every collection and operation, the allowed
case and the attacks (unauthenticated, another salon, a lower role, forbidden or server-owned fields, invalid
shapes, bad transitions, unprovable queries). Every attack must be denied."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from localcloud.rules import Constraint, RulesOperation
from rules_fixtures import (
    ANONYMOUS,
    EARLIER,
    MANAGER,
    MEMBERS,
    MULTI,
    NO_CLAIM,
    NON_MEMBERS,
    NOW,
    OUTSIDER,
    OWNER,
    STAFF,
    SalonData,
    approval_doc,
    approved,
    booking_doc,
    consent_record,
    create,
    customer_doc,
    delete,
    edited,
    get,
    list_query,
    load_project_rules,
    salon_doc,
    service_doc,
    staff_doc,
    update,
    waitlist_doc,
    without,
)

RULES = load_project_rules()


@dataclass(frozen=True)
class Case:
    name: str
    operation: RulesOperation
    allowed: bool


def allow(name: str, operation: RulesOperation) -> Case:
    return Case(name, operation, True)


def deny(name: str, operation: RulesOperation) -> Case:
    return Case(name, operation, False)


def non_members(name: str, build: Any) -> Iterator[Case]:
    for who, auth in NON_MEMBERS.items():
        yield deny(f"{name} by {who}", build(auth))


# -- salons/{salonId} -------------------------------------------------------------------------------------------
def salon_cases() -> Iterator[Case]:
    salon = salon_doc()
    path = "salons/s1"
    for role, auth in MEMBERS.items():
        yield allow(f"salon get by {role}", get(path, auth, salon))
    yield from non_members("salon get", lambda auth: get(path, auth, salon))
    yield deny("salon get of another salon by member", get("salons/s2", OWNER, salon_doc("s2")))
    yield deny("salon list by owner", list_query("", "salons", OWNER))
    yield deny("salon list by owner pinned to own id", list_query("", "salons", OWNER, Constraint("id", "==", "s1")))
    yield deny("salon create by owner", RulesOperation("create", "salons/s9", NOW, auth=user_with("s9", "owner"), request_resource=salon_doc("s9")))
    yield deny("salon delete by owner", delete(path, OWNER, salon))

    renamed = edited(salon, name="Glow & Go", updated_at=NOW)
    yield allow("salon rename by manager", update(path, MANAGER, salon, renamed))
    yield allow("salon rename by owner", update(path, OWNER, salon, renamed))
    yield deny("salon rename by staff", update(path, STAFF, salon, renamed))
    yield from non_members("salon rename", lambda auth: update(path, auth, salon, renamed))
    yield deny("salon rename without updated_at = request.time", update(path, OWNER, salon, edited(salon, name="X")))
    yield deny("salon rename with client clock", update(path, OWNER, salon, edited(salon, name="X", updated_at=NOW - timedelta(seconds=1))))
    yield deny("salon empty name", update(path, OWNER, salon, edited(salon, name="", updated_at=NOW)))
    yield deny("salon name not a string", update(path, OWNER, salon, edited(salon, name=42, updated_at=NOW)))
    yield allow("salon opening hours by manager", update(path, MANAGER, salon, edited(salon, opening_hours={"sunday": [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]}, updated_at=NOW)))
    yield deny("salon opening hours ending before start", update(path, MANAGER, salon, edited(salon, opening_hours={"monday": [{"start": "19:00", "end": "10:00"}]}, updated_at=NOW)))
    yield deny("salon opening hours overlapping", update(path, MANAGER, salon, edited(salon, opening_hours={"monday": [{"start": "10:00", "end": "14:00"}, {"start": "13:00", "end": "18:00"}]}, updated_at=NOW)))
    yield deny("salon opening hours on an unknown day", update(path, MANAGER, salon, edited(salon, opening_hours={"funday": []}, updated_at=NOW)))
    yield deny("salon opening hours badly formatted", update(path, MANAGER, salon, edited(salon, opening_hours={"monday": [{"start": "10am", "end": "7pm"}]}, updated_at=NOW)))
    yield deny("salon timezone garbage", update(path, MANAGER, salon, edited(salon, timezone="'; drop", updated_at=NOW)))

    quiet = copy.deepcopy(salon["quiet_hours"])
    quiet["promotional"] = {"allowed_from": "09:00", "allowed_until": "21:00"}
    yield allow("salon promotional window at the legal edge", update(path, MANAGER, salon, edited(salon, quiet_hours=quiet, updated_at=NOW)))
    early = copy.deepcopy(quiet)
    early["promotional"]["allowed_from"] = "08:30"
    yield deny("salon promotional window before 09:00", update(path, OWNER, salon, edited(salon, quiet_hours=early, updated_at=NOW)))
    late = copy.deepcopy(quiet)
    late["promotional"]["allowed_until"] = "22:00"
    yield deny("salon promotional window after 21:00", update(path, OWNER, salon, edited(salon, quiet_hours=late, updated_at=NOW)))
    inverted = copy.deepcopy(quiet)
    inverted["service"] = {"allowed_from": "21:00", "allowed_until": "08:00"}
    yield deny("salon service window inverted", update(path, OWNER, salon, edited(salon, quiet_hours=inverted, updated_at=NOW)))

    def autonomy(**levels: str) -> dict[str, Any]:
        return edited(salon, autonomy={**salon["autonomy"], **levels}, updated_at=NOW)

    yield allow("autonomy gap_fill full_auto by owner", update(path, OWNER, salon, autonomy(gap_fill="full_auto")))
    yield allow("autonomy no_show full_auto by owner", update(path, OWNER, salon, autonomy(no_show_prevention="full_auto")))
    yield allow("autonomy stricter discount manual_only by owner", update(path, OWNER, salon, autonomy(discount_offer="manual_only")))
    yield allow("autonomy stricter dynamic pricing manual_only by owner", update(path, OWNER, salon, autonomy(dynamic_pricing="manual_only")))
    yield deny("autonomy change by manager", update(path, MANAGER, salon, autonomy(gap_fill="full_auto")))
    yield deny("autonomy change by staff", update(path, STAFF, salon, autonomy(gap_fill="manual_only")))
    yield deny("autonomy discount_offer full_auto (below floor)", update(path, OWNER, salon, autonomy(discount_offer="full_auto")))
    yield deny("autonomy dynamic_pricing full_auto (below floor)", update(path, OWNER, salon, autonomy(dynamic_pricing="full_auto")))
    yield deny("autonomy invented level", update(path, OWNER, salon, autonomy(gap_fill="yolo")))
    yield deny("autonomy extra key for big discounts", update(path, OWNER, salon, autonomy(discount_offer_above_20="full_auto")))
    yield deny("autonomy not a map", update(path, OWNER, salon, edited(salon, autonomy="full_auto", updated_at=NOW)))
    yield allow("offers by owner", update(path, OWNER, salon, edited(salon, offers={"allowed": True, "max_discount_percent": 15}, updated_at=NOW)))
    yield deny("offers by manager", update(path, MANAGER, salon, edited(salon, offers={"allowed": True, "max_discount_percent": 15}, updated_at=NOW)))
    yield deny("offers discount above 100%", update(path, OWNER, salon, edited(salon, offers={"allowed": True, "max_discount_percent": 150}, updated_at=NOW)))
    yield allow("rate limits tightened by owner", update(path, OWNER, salon, edited(salon, rate_limits={**salon["rate_limits"], "per_customer_daily": 2}, updated_at=NOW)))
    yield deny("rate limits per-customer daily loosened", update(path, OWNER, salon, edited(salon, rate_limits={**salon["rate_limits"], "per_customer_daily": 5}, updated_at=NOW)))
    yield deny("rate limits per-customer hourly loosened", update(path, OWNER, salon, edited(salon, rate_limits={**salon["rate_limits"], "per_customer_hourly": 2}, updated_at=NOW)))
    yield deny("rate limits by manager", update(path, MANAGER, salon, edited(salon, rate_limits={**salon["rate_limits"], "hourly_actions": 10}, updated_at=NOW)))
    yield deny("holdout share above half", update(path, OWNER, salon, edited(salon, holdout_share=0.9, updated_at=NOW)))
    approver = {"name": "Anita", "phone": "+919800000001", "role": "manager", "channels": ["whatsapp", "push"], "user_id": "u_manager", "email": None}
    yield allow("approvers set by owner", update(path, OWNER, salon, edited(salon, approvers=[approver], updated_at=NOW)))
    yield deny("approvers set by manager", update(path, MANAGER, salon, edited(salon, approvers=[approver], updated_at=NOW)))
    yield deny("approver with staff role", update(path, OWNER, salon, edited(salon, approvers=[{**approver, "role": "staff"}], updated_at=NOW)))
    yield deny("approver with bad phone", update(path, OWNER, salon, edited(salon, approvers=[{**approver, "phone": "+91123"}], updated_at=NOW)))
    yield deny("six approvers", update(path, OWNER, salon, edited(salon, approvers=[approver] * 6, updated_at=NOW)))
    sid = "HX" + "a" * 32
    yield allow("whatsapp template by owner", update(path, OWNER, salon, edited(salon, whatsapp_templates={"gap_fill_offer": sid}, updated_at=NOW)))
    yield deny("whatsapp template not a content sid", update(path, OWNER, salon, edited(salon, whatsapp_templates={"gap_fill_offer": "hello"}, updated_at=NOW)))
    yield deny("whatsapp template for an unknown intent", update(path, OWNER, salon, edited(salon, whatsapp_templates={"spam": sid}, updated_at=NOW)))
    for server_field, value in (
        ("currency", "USD"),
        ("id", "s2"),
        ("created_at", NOW),
        ("outreach_paused_at", None if salon["outreach_paused_at"] else NOW),
        ("outreach_paused_reason", "resumed"),
        ("whatsapp_sender", "+919800000009"),
        ("sms_sender_id", "SALONX"),
        ("owner_uid", "u_staff"),
    ):
        yield deny(f"salon server-owned field {server_field} by owner", update(path, OWNER, salon, edited(salon, **{server_field: value}, updated_at=NOW)))


def user_with(salon_id: str, role: str) -> dict[str, Any]:
    return {"uid": "u_x", "token": {"salon_roles": {salon_id: role}}}


# -- operational collections with the shared envelope -------------------------------------------------------------
def envelope_attacks(kind: str, path: str, doc: dict[str, Any], auth: Any) -> Iterator[Case]:
    yield deny(f"{kind} create with id not matching the path", create(path, auth, edited(doc, id="other")))
    yield deny(f"{kind} create claiming another salon", create(path, auth, edited(doc, salon_id="s2")))
    yield deny(f"{kind} create without salon_id", create(path, auth, without(doc, "salon_id")))
    yield deny(f"{kind} create with a backdated created_at", create(path, auth, edited(doc, created_at=EARLIER)))
    yield deny(f"{kind} create with client updated_at", create(path, auth, edited(doc, updated_at=NOW + timedelta(hours=1))))
    yield deny(f"{kind} create with an unknown field", create(path, auth, edited(doc, is_admin=True)))
    stored = edited(doc, created_at=EARLIER, updated_at=EARLIER)
    yield deny(f"{kind} update moving created_at", update(path, auth, stored, edited(stored, created_at=NOW, updated_at=NOW)))
    yield deny(f"{kind} update moving to another salon", update(path, auth, stored, edited(stored, salon_id="s2", updated_at=NOW)))
    yield deny(f"{kind} update changing id", update(path, auth, stored, edited(stored, id="x", updated_at=NOW)))
    yield deny(f"{kind} update without updated_at", update(path, auth, stored, edited(stored, notes_extra="x")))


def staff_cases() -> Iterator[Case]:
    path = "salons/s1/staff/st_new"
    doc = staff_doc()
    stored = edited(doc, created_at=EARLIER, updated_at=EARLIER)
    for role, auth in MEMBERS.items():
        yield allow(f"staff get by {role}", get(path, auth, stored))
        yield allow(f"staff list by {role}", list_query("salons/s1", "staff", auth))
    yield from non_members("staff get", lambda auth: get(path, auth, stored))
    yield from non_members("staff list", lambda auth: list_query("salons/s1", "staff", auth))
    yield deny("staff list of another salon", list_query("salons/s2", "staff", OWNER))
    yield deny("staff collection-group list", list_query("", "staff", MULTI, Constraint("salon_id", "==", "s1"), group=True))
    yield allow("staff create by manager", create(path, MANAGER, doc))
    yield allow("staff create by owner", create(path, OWNER, doc))
    yield allow("staff minimal create", create(path, MANAGER, {k: doc[k] for k in ("id", "salon_id", "name", "created_at", "updated_at")}))
    yield deny("staff create by staff", create(path, STAFF, doc))
    yield from non_members("staff create", lambda auth: create(path, auth, doc))
    yield deny("staff create in another salon by owner of s1", create("salons/s2/staff/st_new", OWNER, edited(doc, salon_id="s2")))
    yield from envelope_attacks("staff", path, doc, MANAGER)
    yield deny("staff empty name", create(path, MANAGER, edited(doc, name="")))
    yield deny("staff bad phone", create(path, MANAGER, edited(doc, phone="98765")))
    yield deny("staff hours on an unknown day", create(path, MANAGER, edited(doc, working_hours={"someday": []})))
    yield deny("staff hours not a list", create(path, MANAGER, edited(doc, working_hours={"monday": {"start": "10:00", "end": "19:00"}})))
    yield deny("staff four shifts a day", create(path, MANAGER, edited(doc, working_hours={"monday": [{"start": f"{h:02d}:00", "end": f"{h:02d}:30"} for h in (9, 10, 11, 12)]})))
    yield deny("staff leave ending before it starts", create(path, MANAGER, edited(doc, leave=[{"start": NOW, "end": NOW - timedelta(days=1)}])))
    yield deny("staff leave as strings", create(path, MANAGER, edited(doc, leave=[{"start": "2024-01-20", "end": "2024-01-21"}])))
    yield deny("staff six leave entries", create(path, MANAGER, edited(doc, leave=[doc["leave"][0]] * 6)))
    yield deny("staff service id with a slash", create(path, MANAGER, edited(doc, service_ids=["sv1/../x"])))
    yield deny("staff service ids not strings", create(path, MANAGER, edited(doc, service_ids=[1, 2])))
    yield deny("staff duplicate service ids", create(path, MANAGER, edited(doc, service_ids=["sv1", "sv1"])))
    yield deny("staff active not a bool", create(path, MANAGER, edited(doc, active="yes")))
    yield allow("staff update by manager", update(path, MANAGER, stored, edited(stored, active=False, updated_at=NOW)))
    yield deny("staff update by staff", update(path, STAFF, stored, edited(stored, active=False, updated_at=NOW)))
    yield from non_members("staff update", lambda auth: update(path, auth, stored, edited(stored, active=False, updated_at=NOW)))
    yield allow("staff delete by manager", delete(path, MANAGER, stored))
    yield deny("staff delete by staff", delete(path, STAFF, stored))
    yield from non_members("staff delete", lambda auth: delete(path, auth, stored))


def service_cases() -> Iterator[Case]:
    path = "salons/s1/services/sv_new"
    doc = service_doc()
    stored = edited(doc, created_at=EARLIER, updated_at=EARLIER)
    for role, auth in MEMBERS.items():
        yield allow(f"service get by {role}", get(path, auth, stored))
    yield from non_members("service get", lambda auth: get(path, auth, stored))
    yield allow("service create by manager", create(path, MANAGER, doc))
    yield deny("service create by staff", create(path, STAFF, doc))
    yield from non_members("service create", lambda auth: create(path, auth, doc))
    yield from envelope_attacks("service", path, doc, MANAGER)
    yield deny("service negative price", create(path, MANAGER, edited(doc, price_paise=-100)))
    yield deny("service fractional price", create(path, MANAGER, edited(doc, price_paise=499.5)))
    yield deny("service price as text", create(path, MANAGER, edited(doc, price_paise="500")))
    yield deny("service cost above price", create(path, MANAGER, edited(doc, cost_paise=60000)))
    yield deny("service zero duration", create(path, MANAGER, edited(doc, duration_minutes=0)))
    yield deny("service 13-hour duration", create(path, MANAGER, edited(doc, duration_minutes=780)))
    yield deny("service without price", create(path, MANAGER, without(doc, "price_paise")))
    yield allow("service price change by owner", update(path, OWNER, stored, edited(stored, price_paise=55000, updated_at=NOW)))
    yield deny("service price change by staff", update(path, STAFF, stored, edited(stored, price_paise=100, updated_at=NOW)))
    yield allow("service delete by manager", delete(path, MANAGER, stored))
    yield deny("service delete by staff", delete(path, STAFF, stored))


def customer_cases() -> Iterator[Case]:
    path = "salons/s1/customers/c_new"
    doc = customer_doc()
    stored = edited(doc, created_at=EARLIER, updated_at=EARLIER, consent={"whatsapp": {"service": consent_record(at=EARLIER)}})
    for role, auth in MEMBERS.items():
        yield allow(f"customer get by {role}", get(path, auth, stored))
        yield allow(f"customer create by {role}", create(path, auth, doc))
    yield from non_members("customer get", lambda auth: get(path, auth, stored))
    yield from non_members("customer list", lambda auth: list_query("salons/s1", "customers", auth))
    yield from non_members("customer create", lambda auth: create(path, auth, doc))
    yield from envelope_attacks("customer", path, doc, STAFF)
    yield deny("customer phone not E.164", create(path, STAFF, edited(doc, phone="09876543210")))
    yield deny("customer Indian phone with 9 digits", create(path, STAFF, edited(doc, phone="+91987654321")))
    yield deny("customer bad email", create(path, STAFF, edited(doc, email="not-an-email")))
    yield deny("customer bad language", create(path, STAFF, edited(doc, language="Hindi")))
    yield deny("customer inbound timestamp set by client", create(path, STAFF, edited(doc, last_inbound_message_at=NOW)))
    yield deny("customer consent from an import source", create(path, STAFF, edited(doc, consent={"whatsapp": {"service": consent_record(source="import")}})))
    yield deny("customer consent backdated", create(path, STAFF, edited(doc, consent={"whatsapp": {"marketing": consent_record(at=EARLIER)}})))
    yield deny("customer consent for an unknown channel", create(path, STAFF, edited(doc, consent={"pigeon": {"service": consent_record()}})))
    yield deny("customer consent for an unknown category", create(path, STAFF, edited(doc, consent={"sms": {"spam": consent_record()}})))
    yield deny("customer consent granted without granted_at", create(path, STAFF, edited(doc, consent={"sms": {"service": {**consent_record(), "granted_at": None}}})))
    yield deny("customer 21 tags", create(path, STAFF, edited(doc, tags=[f"t{n}" for n in range(21)])))
    revoke = copy.deepcopy(stored)
    revoke["consent"]["whatsapp"]["service"] = consent_record(granted=False, source="owner_app")
    revoke["updated_at"] = NOW
    yield allow("customer consent revoked by staff", update(path, STAFF, stored, revoke))
    grant = copy.deepcopy(stored)
    grant["consent"]["sms"] = {"marketing": consent_record(source="in_salon")}
    grant["updated_at"] = NOW
    yield allow("customer marketing consent granted in salon", update(path, MANAGER, stored, grant))
    erased = edited(stored, consent={}, updated_at=NOW)
    yield deny("customer consent record removed", update(path, OWNER, stored, erased))
    rewritten = copy.deepcopy(stored)
    rewritten["consent"]["whatsapp"]["service"]["granted_at"] = EARLIER - timedelta(days=30)
    rewritten["updated_at"] = NOW
    yield deny("customer consent history rewritten", update(path, OWNER, stored, rewritten))
    yield deny("customer inbound timestamp changed by client", update(path, OWNER, stored, edited(stored, last_inbound_message_at=NOW, updated_at=NOW)))
    yield from non_members("customer update", lambda auth: update(path, auth, stored, edited(stored, name="X", updated_at=NOW)))
    yield allow("customer erased by owner", delete(path, OWNER, stored))
    yield deny("customer erased by manager", delete(path, MANAGER, stored))
    yield deny("customer erased by staff", delete(path, STAFF, stored))


def booking_cases() -> Iterator[Case]:
    path = "salons/s1/bookings/b_new"
    doc = booking_doc()
    stored = edited(doc, created_at=EARLIER, updated_at=EARLIER)
    for role, auth in MEMBERS.items():
        yield allow(f"booking get by {role}", get(path, auth, stored))
        yield allow(f"booking list by {role}", list_query("salons/s1", "bookings", auth, Constraint("status", "==", "booked")))
        yield allow(f"booking create by {role}", create(path, auth, doc))
    yield from non_members("booking get", lambda auth: get(path, auth, stored))
    yield from non_members("booking list", lambda auth: list_query("salons/s1", "bookings", auth))
    yield from non_members("booking create", lambda auth: create(path, auth, doc))
    yield deny("booking collection-group list", list_query("", "bookings", MULTI, Constraint("salon_id", "in", ["s1", "s2"]), group=True))
    yield from envelope_attacks("booking", path, doc, STAFF)
    yield deny("booking for another salon's customer", create(path, STAFF, edited(doc, customer_id="c2")))
    yield deny("booking for a missing customer", create(path, STAFF, edited(doc, customer_id="ghost")))
    yield deny("booking with a missing staff member", create(path, STAFF, edited(doc, staff_id="st2")))
    yield deny("booking for a missing service", create(path, STAFF, edited(doc, service_id="sv2")))
    yield deny("booking created completed", create(path, STAFF, edited(doc, status="completed")))
    yield deny("booking created cancelled", create(path, STAFF, edited(doc, status="cancelled", cancelled_at=NOW)))
    yield deny("booking invented status", create(path, STAFF, edited(doc, status="vip")))
    yield deny("booking pretending to come from an agent", create(path, STAFF, edited(doc, source="agent")))
    yield deny("booking claiming a decision for attribution", create(path, STAFF, edited(doc, decision_id="dec1")))
    yield deny("booking claiming an outreach for attribution", create(path, STAFF, edited(doc, outreach_id="out1")))
    yield deny("booking ending before it starts", create(path, STAFF, edited(doc, end_time=doc["start_time"] - timedelta(minutes=1))))
    yield deny("booking of 13 hours", create(path, STAFF, edited(doc, end_time=doc["start_time"] + timedelta(hours=13))))
    yield deny("booking time as a string", create(path, STAFF, edited(doc, start_time="2024-01-17T10:00:00Z")))
    yield deny("booking negative price", create(path, STAFF, edited(doc, price_paise=-1)))
    yield deny("booking invented confirmation status", create(path, STAFF, edited(doc, confirmation_status="maybe")))
    yield deny("booking notes too long", create(path, STAFF, edited(doc, notes="x" * 2001)))
    yield allow("booking confirmed by staff", update(path, STAFF, stored, edited(stored, status="confirmed", confirmation_status="confirmed", updated_at=NOW)))
    yield allow("booking completed by staff", update(path, STAFF, stored, edited(stored, status="completed", updated_at=NOW)))
    yield allow("booking marked no-show by manager", update(path, MANAGER, stored, edited(stored, status="no_show", updated_at=NOW)))
    yield allow("booking cancelled early", update(path, STAFF, stored, edited(stored, status="cancelled", cancelled_at=NOW, late_cancellation=False, updated_at=NOW)))
    soon = edited(stored, start_time=NOW + timedelta(hours=3), end_time=NOW + timedelta(hours=4))
    yield allow("booking cancelled late and flagged", update(path, STAFF, soon, edited(soon, status="cancelled", cancelled_at=NOW, late_cancellation=True, updated_at=NOW)))
    yield deny("booking cancelled late but not flagged", update(path, STAFF, soon, edited(soon, status="cancelled", cancelled_at=NOW, late_cancellation=False, updated_at=NOW)))
    yield deny("booking cancelled with a backdated time", update(path, STAFF, stored, edited(stored, status="cancelled", cancelled_at=EARLIER, updated_at=NOW)))
    yield deny("booking cancelled without cancelled_at", update(path, STAFF, stored, edited(stored, status="cancelled", updated_at=NOW)))
    done = edited(stored, status="completed")
    yield deny("booking reopened after completion", update(path, STAFF, done, edited(done, status="booked", updated_at=NOW)))
    cancelled = edited(stored, status="cancelled", cancelled_at=EARLIER)
    yield deny("booking revived after cancellation", update(path, OWNER, cancelled, edited(cancelled, status="confirmed", cancelled_at=None, updated_at=NOW)))
    yield deny("booking attribution rewritten", update(path, OWNER, stored, edited(stored, decision_id="dec9", updated_at=NOW)))
    yield deny("booking source rewritten", update(path, OWNER, stored, edited(stored, source="online", updated_at=NOW)))
    yield allow("booking moved to another stylist", update(path, STAFF, stored, edited(stored, staff_id="st1", updated_at=NOW)))
    yield deny("booking moved to another salon's stylist", update(path, STAFF, stored, edited(stored, staff_id="st2", updated_at=NOW)))
    yield from non_members("booking update", lambda auth: update(path, auth, stored, edited(stored, status="confirmed", updated_at=NOW)))
    for role, auth in MEMBERS.items():
        yield deny(f"booking delete by {role}", delete(path, auth, stored))


def waitlist_cases() -> Iterator[Case]:
    path = "salons/s1/waitlist/w_new"
    doc = waitlist_doc()
    stored = edited(doc, created_at=EARLIER, updated_at=EARLIER)
    for role, auth in MEMBERS.items():
        yield allow(f"waitlist get by {role}", get(path, auth, stored))
        yield allow(f"waitlist create by {role}", create(path, auth, doc))
    yield from non_members("waitlist get", lambda auth: get(path, auth, stored))
    yield from non_members("waitlist create", lambda auth: create(path, auth, doc))
    yield from envelope_attacks("waitlist", path, doc, STAFF)
    yield allow("waitlist priority set by manager", create(path, MANAGER, edited(doc, priority=50)))
    yield deny("waitlist priority set by staff", create(path, STAFF, edited(doc, priority=50)))
    yield deny("waitlist priority above 100", create(path, OWNER, edited(doc, priority=101)))
    yield deny("waitlist created already promoted", create(path, STAFF, edited(doc, status="promoted", promoted_booking_id="b1")))
    yield deny("waitlist created already offered", create(path, STAFF, edited(doc, status="offered", offered_at=NOW)))
    yield deny("waitlist for another salon's customer", create(path, STAFF, edited(doc, customer_id="c2")))
    yield deny("waitlist expiring before creation", create(path, STAFF, edited(doc, expires_at=NOW - timedelta(minutes=1))))
    yield deny("waitlist window reversed", create(path, STAFF, edited(doc, preferred_windows=[{"start": NOW, "end": NOW}])))
    yield allow("waitlist cancelled by staff", update(path, STAFF, stored, edited(stored, status="cancelled", updated_at=NOW)))
    yield deny("waitlist promoted by staff (agents' job)", update(path, STAFF, stored, edited(stored, status="promoted", promoted_booking_id="b1", updated_at=NOW)))
    yield deny("waitlist offered_at set by client", update(path, OWNER, stored, edited(stored, offered_at=NOW, updated_at=NOW)))
    yield deny("waitlist priority bumped by staff", update(path, STAFF, stored, edited(stored, priority=99, updated_at=NOW)))
    yield allow("waitlist priority bumped by manager", update(path, MANAGER, stored, edited(stored, priority=99, updated_at=NOW)))
    yield deny("waitlist moved to another customer", update(path, MANAGER, stored, edited(stored, customer_id="c1x", updated_at=NOW)))
    yield from non_members("waitlist update", lambda auth: update(path, auth, stored, edited(stored, status="cancelled", updated_at=NOW)))
    yield allow("waitlist delete by manager", delete(path, MANAGER, stored))
    yield deny("waitlist delete by staff", delete(path, STAFF, stored))


# -- server-owned collections ---------------------------------------------------------------------------------------
SERVER_OWNED = {
    "autonomous_decisions": ("owner", "manager", "staff"),
    "customer_scores": ("owner", "manager", "staff"),
    "gaps": ("owner", "manager", "staff"),
    "outreach": ("owner", "manager", "staff"),
    "agent_states": ("owner", "manager"),
    "audit_logs": ("owner", "manager"),
}


def server_owned_cases() -> Iterator[Case]:
    for collection, readers in SERVER_OWNED.items():
        path = f"salons/s1/{collection}/doc1"
        stored = {"id": "doc1", "salon_id": "s1", "status": "pending", "created_at": EARLIER}
        for role, auth in MEMBERS.items():
            if role in readers:
                yield allow(f"{collection} get by {role}", get(path, auth, stored))
                yield allow(f"{collection} list by {role}", list_query("salons/s1", collection, auth))
            else:
                yield deny(f"{collection} get by {role}", get(path, auth, stored))
                yield deny(f"{collection} list by {role}", list_query("salons/s1", collection, auth))
            yield deny(f"{collection} create by {role}", create(path, auth, {**stored, "created_at": NOW}))
            yield deny(f"{collection} update by {role}", update(path, auth, stored, {**stored, "status": "success"}))
            yield deny(f"{collection} delete by {role}", delete(path, auth, stored))
        yield from non_members(f"{collection} get", lambda auth, path=path, stored=stored: get(path, auth, stored))
        yield from non_members(f"{collection} list", lambda auth, collection=collection: list_query("salons/s1", collection, auth))
        yield deny(f"{collection} read of another salon", get(f"salons/s2/{collection}/doc1", OWNER, stored))
        yield deny(f"{collection} collection-group list", list_query("", collection, MULTI, Constraint("salon_id", "==", "s1"), group=True))


# -- derived dashboard summaries: members read, nobody writes ------------------------------------------------------
DERIVED = {
    "analytics_daily": {"date": "2024-01-15", "salon_id": "s1", "decisions": {"total": 3, "holdout": 1},
                        "occupancy_by_hour": {"10": 0.75}, "updated_at": EARLIER},
    "event_counters": {"date": "2024-01-15", "salon_id": "s1", "events": {"GAP_DETECTED": 2},
                       "last_event_at": EARLIER, "updated_at": EARLIER},
}


def derived_cases() -> Iterator[Case]:
    for collection, stored in DERIVED.items():
        path = f"salons/s1/{collection}/2024-01-15"
        bumped = {**stored, "updated_at": NOW}
        for role, auth in MEMBERS.items():
            yield allow(f"{collection} get by {role}", get(path, auth, stored))
            yield allow(f"{collection} list by {role}", list_query("salons/s1", collection, auth))
            yield allow(f"{collection} listen to a date range by {role}", list_query(
                "salons/s1", collection, auth, Constraint("date", ">=", "2024-01-01")))
            yield deny(f"{collection} create by {role}", create(path, auth, bumped))
            yield deny(f"{collection} update by {role}", update(path, auth, stored, bumped))
            yield deny(f"{collection} delete by {role}", delete(path, auth, stored))
        yield from non_members(f"{collection} get", lambda auth, path=path, stored=stored: get(path, auth, stored))
        yield from non_members(f"{collection} list", lambda auth, collection=collection: list_query("salons/s1", collection, auth))
        yield from non_members(f"{collection} create", lambda auth, path=path, bumped=bumped: create(path, auth, bumped))
        yield deny(f"{collection} read of another salon", get(f"salons/s2/{collection}/2024-01-15", OWNER, {**stored, "salon_id": "s2"}))
        yield deny(f"{collection} list of another salon", list_query("salons/s2", collection, OWNER))
        yield deny(f"{collection} write to another salon", create(f"salons/s2/{collection}/2024-01-15", OWNER, {**bumped, "salon_id": "s2"}))
        yield deny(f"{collection} collection-group list", list_query("", collection, MULTI, Constraint("salon_id", "==", "s1"), group=True))
        yield deny(f"{collection} nested write", create(f"{path}/extra/x", OWNER, {"a": 1}))


# -- governance records: server only ---------------------------------------------------------------------------------
GOVERNANCE = {
    "rate_limit_windows": ("gap_fill_agent", {
        "owner": "gap_fill_agent", "scope": "agent", "stamps": [{"reservation_id": "rsv_1", "at": EARLIER}],
        "hourly_limit": 20, "daily_limit": 100, "updated_at": EARLIER, "expire_at": NOW + timedelta(days=2)}),
    "customer_contact_windows": ("c1", {
        "sends": [{"reservation_id": "rsv_1", "at": EARLIER}], "updated_at": EARLIER,
        "last_agent": "gap_fill_agent", "expire_at": NOW + timedelta(days=2)}),
    "idempotency_keys": ("9f" * 32, {
        "key": "task-1", "status": "COMPLETED", "payload_hash": "ab" * 32, "lease_token": "t1",
        "expires_at": EARLIER, "result": {"ok": True}, "completed_at": EARLIER, "delete_after": NOW + timedelta(days=2)}),
}


def governance_cases() -> Iterator[Case]:
    everyone = {**MEMBERS, **NON_MEMBERS, "multi-salon user": MULTI}
    for collection, (doc_id, stored) in GOVERNANCE.items():
        path = f"salons/s1/{collection}/{doc_id}"
        emptied = {**stored, "count": 0, "reservation_ids": [], "sends": [], "status": "IN_PROGRESS"}
        for who, auth in everyone.items():
            yield deny(f"{collection} get by {who}", get(path, auth, stored))
            yield deny(f"{collection} list by {who}", list_query("salons/s1", collection, auth))
            yield deny(f"{collection} create by {who}", create(path, auth, stored))
            yield deny(f"{collection} update by {who}", update(path, auth, stored, emptied))
            yield deny(f"{collection} delete by {who}", delete(path, auth, stored))
        yield deny(f"{collection} list pinned to own salon", list_query("salons/s1", collection, OWNER, Constraint("salon_id", "==", "s1")))
        yield deny(f"{collection} collection-group list", list_query("", collection, MULTI, Constraint("salon_id", "==", "s1"), group=True))


# -- approvals --------------------------------------------------------------------------------------------------------
def approval_cases() -> Iterator[Case]:
    path = "salons/s1/approvals/apr1"
    pending = approval_doc()
    for role, auth in MEMBERS.items():
        yield allow(f"approval get by {role}", get(path, auth, pending))
        yield allow(f"approval list by {role}", list_query("salons/s1", "approvals", auth, Constraint("status", "==", "pending")))
    yield from non_members("approval get", lambda auth: get(path, auth, pending))
    yield from non_members("approval list", lambda auth: list_query("salons/s1", "approvals", auth))
    yield deny("approval list of another salon", list_query("salons/s2", "approvals", OWNER))
    yield allow("approval approved by owner", update(path, OWNER, pending, approved(pending, "u_owner")))
    yield allow("approval approved by manager", update(path, MANAGER, pending, approved(pending, "u_manager")))
    yield allow("approval rejected by manager", update(path, MANAGER, pending, approved(pending, "u_manager", status="rejected")))
    with_notes = approved(pending, "u_owner")
    with_notes["response"]["notes"] = "Go ahead"
    yield allow("approval approved with notes", update(path, OWNER, pending, with_notes))
    yield deny("approval approved by staff", update(path, STAFF, pending, approved(pending, "u_staff")))
    yield from non_members("approval approved", lambda auth: update(path, auth, pending, approved(pending, "u_outsider")))
    yield deny("approval of another salon by owner of s1", update("salons/s2/approvals/apr1", OWNER, approval_doc(salon_id="s2"), approved(approval_doc(salon_id="s2"), "u_owner")))
    expired = edited(pending, expires_at=NOW - timedelta(seconds=1))
    yield deny("approval approved after expiry", update(path, OWNER, expired, approved(expired, "u_owner")))
    at_expiry = edited(pending, expires_at=NOW)
    yield deny("approval approved at the expiry instant", update(path, OWNER, at_expiry, approved(at_expiry, "u_owner")))
    for status in ("approved", "rejected", "expired", "cancelled"):
        decided = edited(pending, status=status)
        yield deny(f"approval from {status} to approved", update(path, OWNER, decided, approved(decided, "u_owner")))
        yield deny(f"approval from {status} to rejected", update(path, OWNER, decided, approved(decided, "u_owner", status="rejected")))
    for status in ("expired", "cancelled", "pending"):
        moved = approved(pending, "u_owner")
        moved["status"] = status
        yield deny(f"approval set to {status} by owner", update(path, OWNER, pending, moved))
    yield deny("approval responded in someone else's name", update(path, OWNER, pending, approved(pending, "u_manager")))
    yield deny("approval with a backdated response", update(path, OWNER, pending, approved(pending, "u_owner", at=NOW - timedelta(minutes=1))))
    mismatched = approved(pending, "u_owner")
    mismatched["response"]["action"] = "reject"
    yield deny("approval approved with a reject action", update(path, OWNER, pending, mismatched))
    for field, value in (
        ("action_details", {"discount_percent": 50}),
        ("action_summary", "Give everyone 90% off"),
        ("expires_at", NOW + timedelta(days=1)),
        ("priority", "low"),
        ("decision_id", "dec9"),
        ("salon_id", "s2"),
        ("notifications_sent", {}),
    ):
        tampered = approved(pending, "u_owner")
        tampered[field] = value
        yield deny(f"approval response also changing {field}", update(path, OWNER, pending, tampered))
    # The natural answer from the spec's fields (status + response) need not touch updated_at; if it does,
    # the stamp is the server's time.
    no_stamp = approved(pending, "u_owner")
    no_stamp["updated_at"] = pending["updated_at"]
    yield allow("approval response leaving updated_at alone", update(path, OWNER, pending, no_stamp))
    no_notes = approved(pending, "u_owner")
    del no_notes["response"]["notes"]
    yield allow("approval response without a notes key", update(path, OWNER, pending, no_notes))
    client_stamp = approved(pending, "u_owner")
    client_stamp["updated_at"] = NOW - timedelta(seconds=2)
    yield deny("approval response with a client-clock updated_at", update(path, OWNER, pending, client_stamp))
    response_only = approved(pending, "u_owner")
    response_only["status"] = "pending"
    yield deny("approval response without a status change", update(path, OWNER, pending, response_only))
    status_only = edited(pending, status="approved", updated_at=NOW)
    yield deny("approval status change without a response", update(path, OWNER, pending, status_only))
    for word in ("approved", "APPROVE", "yes"):
        worded = approved(pending, "u_owner")
        worded["response"]["action"] = word
        yield deny(f"approval response with action {word!r}", update(path, OWNER, pending, worded))
    as_text = approved(pending, "u_owner")
    as_text["response"]["responded_at"] = NOW.isoformat()
    yield deny("approval response with an ISO-string responded_at", update(path, OWNER, pending, as_text))
    extra = approved(pending, "u_owner")
    extra["response"]["via"] = "hack"
    yield deny("approval response with an extra key", update(path, OWNER, pending, extra))
    long_notes = approved(pending, "u_owner")
    long_notes["response"]["notes"] = "x" * 2001
    yield deny("approval response notes too long", update(path, OWNER, pending, long_notes))
    missing_by = approved(pending, "u_owner")
    del missing_by["response"]["responded_by"]
    yield deny("approval response without responded_by", update(path, OWNER, pending, missing_by))
    for role, auth in MEMBERS.items():
        yield deny(f"approval create by {role}", create("salons/s1/approvals/apr9", auth, approval_doc("apr9")))
        yield deny(f"approval delete by {role}", delete(path, auth, pending))

    # collection-group queries across salons
    yield allow("pending approvals across own salon", list_query("", "approvals", OWNER, Constraint("salon_id", "==", "s1"), Constraint("status", "==", "pending"), group=True))
    yield allow("pending approvals across both salons of a multi-salon user", list_query("", "approvals", MULTI, Constraint("salon_id", "in", ["s1", "s2"]), Constraint("status", "==", "pending"), group=True))
    yield deny("approvals group query without salon constraint", list_query("", "approvals", OWNER, Constraint("status", "==", "pending"), group=True))
    yield deny("approvals group query including a foreign salon", list_query("", "approvals", OWNER, Constraint("salon_id", "in", ["s1", "s2"]), group=True))
    yield deny("approvals group query for a foreign salon", list_query("", "approvals", OWNER, Constraint("salon_id", "==", "s2"), group=True))
    yield deny("approvals group query with salon inequality", list_query("", "approvals", OWNER, Constraint("salon_id", ">=", "s1"), group=True))
    yield deny("approvals group query with salon not-in", list_query("", "approvals", OWNER, Constraint("salon_id", "not-in", ["s2"]), group=True))
    yield from non_members("approvals group query", lambda auth: list_query("", "approvals", auth, Constraint("salon_id", "==", "s1"), group=True))
    yield deny("approvals group get through the group rule", get("other/x/approvals/apr1", OWNER, approval_doc()))


# -- everything else ------------------------------------------------------------------------------------------------
def default_deny_cases() -> Iterator[Case]:
    for auth_name, auth in (("owner", OWNER), ("anonymous", ANONYMOUS), ("no claim", NO_CLAIM)):
        yield deny(f"root collection read by {auth_name}", get("users/u_owner", auth))
        yield deny(f"root collection write by {auth_name}", create("users/u_owner", auth, {"salon_roles": {"s2": "owner"}}))
        yield deny(f"unknown salon subcollection read by {auth_name}", get("salons/s1/secrets/x", auth))
        yield deny(f"unknown salon subcollection write by {auth_name}", create("salons/s1/secrets/x", auth, {"a": 1}))
        yield deny(f"nested under approvals by {auth_name}", create("salons/s1/approvals/apr1/replies/r1", auth, {"a": 1}))
        yield deny(f"root list by {auth_name}", list_query("", "salons", auth))
        yield deny(f"any collection group by {auth_name}", list_query("", "customers", auth, Constraint("salon_id", "==", "s1"), group=True))
    yield deny("salon id written as a foreign id in a wildcard path", get("salons/s2/customers/c2", MULTI | {"token": {"salon_roles": {"s1": "owner"}}}))
    yield deny("outsider reads through a multi-salon path", get("salons/s1/bookings/b1", OUTSIDER))


ALL_CASES: list[Case] = [
    *salon_cases(),
    *staff_cases(),
    *service_cases(),
    *customer_cases(),
    *booking_cases(),
    *waitlist_cases(),
    *server_owned_cases(),
    *derived_cases(),
    *governance_cases(),
    *approval_cases(),
    *default_deny_cases(),
]


def test_case_names_are_unique() -> None:
    names = [case.name for case in ALL_CASES]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.name for case in ALL_CASES])
def test_project_rules_decide_each_case(case: Case) -> None:
    decision = RULES.authorize(case.operation, SalonData())
    assert decision.allowed is case.allowed, decision.reason


def test_no_attack_gets_through_and_every_legitimate_request_does() -> None:
    data = SalonData()
    attacks = [case for case in ALL_CASES if not case.allowed]
    legitimate = [case for case in ALL_CASES if case.allowed]
    through = [case.name for case in attacks if RULES.authorize(case.operation, data).allowed]
    refused = [case.name for case in legitimate if not RULES.authorize(case.operation, data).allowed]
    print(f"\nfirestore.rules attack matrix: {len(attacks)} attacks tried, {len(through)} got through; "
          f"{len(legitimate)} legitimate requests, {len(refused)} refused")
    assert len(attacks) >= 300
    assert through == []
    assert refused == []
