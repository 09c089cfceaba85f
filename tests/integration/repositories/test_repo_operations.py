"""Repositories against the Firestore emulator through the real client: round trips, queries, transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore
from repo_builders import (
    NOW,
    agent_state,
    approval,
    audit,
    booking,
    customer,
    decision,
    gap,
    outreach,
    salon,
    score,
    service,
    staff,
    waitlist,
)
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain import (
    AgentStatus,
    Approval,
    ApprovalStatus,
    AuditEventType,
    AutonomousDecision,
    BookingStatus,
    CustomerSegment,
    DecisionType,
    GapStatus,
    OutcomeStatus,
    OutreachStatus,
    WaitlistStatus,
)
from salonflow.domain import spec_examples as spec

pytestmark = pytest.mark.integration
SALON = "salon_1"


@pytest.fixture
def repos(firestore_client: Any) -> SalonRepositories:
    return SalonRepositories(firestore_client, SALON)


def test_every_model_survives_a_round_trip_through_firestore(repos: SalonRepositories) -> None:
    models: list[tuple[Any, Any]] = [
        (repos.staff, staff(SALON, "staff_1", breaks={"monday": [{"start": "13:00", "end": "13:30"}]},
                            leave=[{"start": NOW, "end": NOW + timedelta(days=1), "reason": "festival"}])),
        (repos.services, service(SALON, "svc_1")),
        (repos.customers, customer(SALON, "cust_1", last_inbound_message_at=NOW, consent={"whatsapp": {"service": {
            "granted": True, "granted_at": NOW, "source": "in_salon", "updated_at": NOW}}})),
        (repos.bookings, booking(SALON, "bkg_1", NOW + timedelta(hours=2))),
        (repos.waitlist, waitlist(SALON, "wl_1", preferred_windows=[{"start": NOW, "end": NOW + timedelta(hours=8)}])),
        (repos.gaps, gap(SALON, NOW + timedelta(hours=3))),
        (repos.approvals, approval(SALON, "apr_1")),
        (repos.outreach, outreach(SALON, offer_details={"discount_percent": 10, "valid_until": NOW})),
        (repos.decisions, decision(SALON, "dec_1")),
        (repos.agent_states, agent_state(SALON)),
        (repos.customer_scores, score(SALON, "cust_1", segment="vip")),
    ]
    for repository, model in models:
        repository.create(model)
        assert repository.get(model.document_id) == model, type(model).__name__
    repos.salon.save(salon(SALON, opening_hours={"monday": [{"start": "10:00", "end": "20:00"}]}))
    assert repos.salon.get() == salon(SALON, opening_hours={"monday": [{"start": "10:00", "end": "20:00"}]})


def test_spec_documents_are_stored_with_the_spec_field_names_and_types(
    repos: SalonRepositories, firestore_client: Any
) -> None:
    example = {**spec.AUTONOMOUS_DECISION, "salon_id": SALON}
    repos.decisions.create(AutonomousDecision.model_validate(example))
    raw = firestore_client.document(f"salons/{SALON}/autonomous_decisions/dec_xxx").get().to_dict()
    # Ours beside the spec's: how the case ended for the lift, null until settled (docs/schema.md).
    assert set(raw) == {*spec.AUTONOMOUS_DECISION, "case_outcome"} and raw["case_outcome"] is None
    assert raw["context"]["time_slot"] == datetime(2024, 1, 15, 14, 0, tzinfo=UTC)
    assert raw["revenue_impact"] == {"potential": 500, "actual": 0, "currency": "INR"}
    assert raw["approval"]["approved_by"] is None

    repos.agent_states.upsert(agent_state(SALON))
    stored = firestore_client.document(f"salons/{SALON}/agent_states/gap_fill_agent").get().to_dict()
    assert stored["id"] == f"state_{SALON}_gap_fill_agent"
    assert stored["counters"]["date"] == "2024-01-15"
    assert set(stored) == set(spec.AGENT_STATE)


def test_create_refuses_an_existing_document_so_deterministic_ids_never_duplicate(repos: SalonRepositories) -> None:
    repos.outreach.create(outreach(SALON))
    with pytest.raises(AlreadyExists):
        repos.outreach.create(outreach(SALON))


def test_update_changes_nested_fields_and_refuses_missing_documents(repos: SalonRepositories) -> None:
    repos.decisions.create(decision(SALON, "dec_1"))
    done = NOW + timedelta(minutes=5)
    repos.decisions.update("dec_1", {"outcome.status": OutcomeStatus.SUCCESS, "outcome.completed_at": done,
                                     "revenue_impact.actual": 500, "updated_at": done})
    updated = repos.decisions.get("dec_1")
    assert updated is not None
    assert updated.outcome.status is OutcomeStatus.SUCCESS and updated.outcome.completed_at == done
    assert updated.revenue_impact.actual == 500
    with pytest.raises(NotFound):
        repos.decisions.update("dec_missing", {"updated_at": done})


def test_update_accepts_firestore_transforms(repos: SalonRepositories) -> None:
    repos.gaps.create(gap(SALON, NOW + timedelta(hours=3)))
    gap_id = repos.gaps.open()[0].id
    repos.gaps.update(gap_id, {"fill_attempts": firestore.Increment(1), "last_attempt_at": NOW})
    repos.gaps.update(gap_id, {"fill_attempts": firestore.Increment(1)})
    refreshed = repos.gaps.get(gap_id)
    assert refreshed is not None and refreshed.fill_attempts == 2


def test_bookings_by_day_range_staff_status_and_customer(repos: SalonRepositories) -> None:
    day = NOW.replace(hour=0, minute=0)
    rows = [
        booking(SALON, "bkg_a", day + timedelta(hours=5), staff_id="staff_1"),
        booking(SALON, "bkg_b", day + timedelta(hours=7), staff_id="staff_2", customer_id="cust_2"),
        booking(SALON, "bkg_c", day + timedelta(hours=9), staff_id="staff_1", status="cancelled",
                cancelled_at=NOW, late_cancellation=True),
        booking(SALON, "bkg_d", day + timedelta(days=1, hours=5), staff_id="staff_1"),
        booking(SALON, "bkg_e", day + timedelta(hours=3), staff_id="staff_1", status="completed"),
    ]
    for row in rows:
        repos.bookings.create(row)
    today = repos.bookings.in_range(day, day + timedelta(days=1))
    assert [b.id for b in today] == ["bkg_e", "bkg_a", "bkg_b", "bkg_c"]
    assert [b.id for b in repos.bookings.in_range(day, day + timedelta(days=1), staff_id="staff_1")] == [
        "bkg_e", "bkg_a", "bkg_c"]
    active = repos.bookings.in_range(day, day + timedelta(days=2), staff_id="staff_1",
                                     statuses=[BookingStatus.BOOKED, BookingStatus.CONFIRMED])
    assert [b.id for b in active] == ["bkg_a", "bkg_d"]
    assert [b.id for b in repos.bookings.upcoming(NOW, NOW + timedelta(days=2))] == ["bkg_a", "bkg_b", "bkg_d"]
    assert [b.id for b in repos.bookings.for_customer("cust_1")] == ["bkg_d", "bkg_c", "bkg_a", "bkg_e"]
    assert [b.id for b in repos.bookings.for_customer("cust_1", limit=1)] == ["bkg_d"]


def test_overlapping_bookings_include_one_that_started_before_the_range(repos: SalonRepositories) -> None:
    start = NOW + timedelta(hours=2)
    repos.bookings.create(booking(SALON, "bkg_long", start - timedelta(hours=2), minutes=150))  # runs into range
    repos.bookings.create(booking(SALON, "bkg_before", start - timedelta(hours=1), minutes=60))  # ends at start
    repos.bookings.create(booking(SALON, "bkg_inside", start + timedelta(minutes=15), minutes=30))
    repos.bookings.create(booking(SALON, "bkg_other_staff", start, staff_id="staff_2"))
    repos.bookings.create(booking(SALON, "bkg_cancelled", start, status="cancelled", cancelled_at=NOW,
                                  late_cancellation=True))
    found = repos.bookings.overlapping(start, start + timedelta(hours=1), staff_id="staff_1")
    assert [b.id for b in found] == ["bkg_long", "bkg_inside"]
    everyone = repos.bookings.overlapping(start, start + timedelta(hours=1), statuses=None)
    assert {b.id for b in everyone} == {"bkg_long", "bkg_inside", "bkg_other_staff", "bkg_cancelled"}


def test_customers_are_read_in_one_batch_and_found_by_phone(repos: SalonRepositories) -> None:
    for index in range(5):
        repos.customers.create(customer(SALON, f"cust_{index}", phone=f"+91987654321{index}"))
    found = repos.customers.get_many(["cust_0", "cust_3", "cust_missing", "cust_3"])
    assert sorted(found) == ["cust_0", "cust_3"]
    match = repos.customers.by_phone("+919876543214")
    assert match is not None and match.id == "cust_4"


def test_waitlist_waiting_entries_come_in_promotion_order(repos: SalonRepositories) -> None:
    repos.waitlist.create(waitlist(SALON, "wl_late", created_at=NOW + timedelta(hours=1)))
    repos.waitlist.create(waitlist(SALON, "wl_early"))
    repos.waitlist.create(waitlist(SALON, "wl_vip", priority=10, created_at=NOW + timedelta(hours=2)))
    repos.waitlist.create(waitlist(SALON, "wl_other", service_id="svc_2"))
    repos.waitlist.create(waitlist(SALON, "wl_gone", status="cancelled"))
    assert [e.id for e in repos.waitlist.waiting(service_id="svc_1")] == ["wl_vip", "wl_early", "wl_late"]
    assert len(repos.waitlist.waiting()) == 4
    repos.waitlist.create(waitlist(SALON, "wl_old", created_at=NOW - timedelta(days=8),
                                   expires_at=NOW - timedelta(days=1), status=WaitlistStatus.OFFERED))
    assert [e.id for e in repos.waitlist.past_expiry(NOW)] == ["wl_old"]


def test_open_gaps_high_priority_gaps_and_gaps_that_are_over(repos: SalonRepositories) -> None:
    soon = gap(SALON, NOW + timedelta(hours=1), priority="critical")
    later = gap(SALON, NOW + timedelta(hours=5), priority="low", staff_id="staff_2")
    past = gap(SALON, NOW - timedelta(hours=3), priority="high")
    filled = gap(SALON, NOW + timedelta(hours=2), status=GapStatus.FILLED, filled_by="bkg_1")
    for item in (later, soon, past, filled):
        repos.gaps.create(item)
    assert [g.id for g in repos.gaps.open()] == [past.id, soon.id, later.id]
    assert [g.id for g in repos.gaps.open(start=NOW)] == [soon.id, later.id]
    assert [g.id for g in repos.gaps.open(staff_id="staff_2")] == [later.id]
    assert [g.id for g in repos.gaps.high_priority_open()] == [past.id, soon.id]
    assert [g.id for g in repos.gaps.open_ended_before(NOW)] == [past.id]


def test_pending_approvals_newest_first_and_expired_ones(repos: SalonRepositories) -> None:
    repos.approvals.create(approval(SALON, "apr_old", created_at=NOW - timedelta(minutes=30), updated_at=NOW,
                                    expires_at=NOW - timedelta(minutes=15)))
    repos.approvals.create(approval(SALON, "apr_new", created_at=NOW, decision_id="dec_2"))
    repos.approvals.create(approval(SALON, "apr_done", status=ApprovalStatus.APPROVED, response={
        "action": "approve", "responded_by": "uid_owner", "responded_at": NOW}))
    assert [a.id for a in repos.approvals.pending()] == ["apr_new", "apr_old"]
    assert [a.id for a in repos.approvals.pending_past_expiry(NOW)] == ["apr_old"]
    assert [a.id for a in repos.approvals.for_decision("dec_2")] == ["apr_new"]


def test_outreach_by_status_customer_trigger_message_and_lifecycle_sweeps(repos: SalonRepositories) -> None:
    sent = outreach(SALON, "cust_1", NOW, status=OutreachStatus.SENT,
                    delivery={"message_id": "SM" + "1" * 32, "sent_at": NOW})
    stuck = outreach(SALON, "cust_2", NOW, delivery={"send_started_at": NOW - timedelta(minutes=10)})
    deferred = outreach(SALON, "cust_3", NOW, scheduled_for=NOW + timedelta(hours=10),
                        created_at=NOW + timedelta(minutes=1), updated_at=NOW + timedelta(minutes=1))
    old = outreach(SALON, "cust_1", NOW - timedelta(days=1), created_at=NOW - timedelta(days=1),
                   expires_at=NOW - timedelta(hours=20), trigger_id="gap_0")
    for item in (sent, stuck, deferred, old):
        repos.outreach.create(item)
    assert [o.id for o in repos.outreach.by_status(OutreachStatus.PENDING)] == [deferred.id, stuck.id, old.id]
    assert [o.id for o in repos.outreach.for_customer_since("cust_1", NOW - timedelta(hours=1))] == [sent.id]
    assert {o.id for o in repos.outreach.for_trigger("gap_1")} == {sent.id, stuck.id, deferred.id}
    found = repos.outreach.by_message_id("SM" + "1" * 32)
    assert found is not None and found.id == sent.id
    assert [o.id for o in repos.outreach.past_expiry(NOW)] == [old.id]
    assert [o.id for o in repos.outreach.stuck_sending(NOW - timedelta(minutes=5))] == [stuck.id]
    assert repos.outreach.deferred_due(NOW) == []
    assert [o.id for o in repos.outreach.deferred_due(NOW + timedelta(hours=10))] == [deferred.id]


def test_decisions_by_type_and_date_and_expired_pending_outcomes(repos: SalonRepositories) -> None:
    repos.decisions.create(decision(SALON, "dec_1"))
    repos.decisions.create(decision(SALON, "dec_2", decision_type="discount_offer", autonomy_level="supervised",
                                    created_at=NOW + timedelta(minutes=5), updated_at=NOW + timedelta(minutes=5),
                                    expires_at=NOW + timedelta(minutes=20),
                                    approval={"required": True, "status": "pending", "approval_id": "apr_1"}))
    repos.decisions.create(decision(SALON, "dec_3", created_at=NOW - timedelta(days=1), updated_at=NOW,
                                    expires_at=NOW - timedelta(hours=23)))
    day = NOW.replace(hour=0, minute=0)
    assert [d.id for d in repos.decisions.created_between(day, day + timedelta(days=1))] == ["dec_2", "dec_1"]
    by_type = repos.decisions.created_between(day, day + timedelta(days=1), decision_type=DecisionType.GAP_FILL)
    assert [d.id for d in by_type] == ["dec_1"]
    by_agent = repos.decisions.created_between(day - timedelta(days=1), day + timedelta(days=1),
                                               agent_name="gap_fill_agent", limit=2)
    assert [d.id for d in by_agent] == ["dec_2", "dec_1"]
    assert [d.id for d in repos.decisions.pending_past_expiry(NOW)] == ["dec_3"]


def test_agent_states_upsert_and_scores_in_batches(repos: SalonRepositories) -> None:
    repos.agent_states.upsert(agent_state(SALON))
    repos.agent_states.upsert(agent_state(SALON, status=AgentStatus.PAUSED))
    state = repos.agent_states.get("gap_fill_agent")
    assert state is not None and state.status is AgentStatus.PAUSED
    written = repos.customer_scores.upsert_many(
        score(SALON, f"cust_{i}", segment="at_risk" if i % 2 else "regular",
              churn_risk={"score": i * 10, "factors": []}) for i in range(6))
    assert written == 6
    at_risk = repos.customer_scores.by_segment(CustomerSegment.AT_RISK)
    assert [s.customer_id for s in at_risk] == ["cust_5", "cust_3", "cust_1"]
    assert sorted(repos.customer_scores.get_many(["cust_0", "cust_5", "cust_9"])) == ["cust_0", "cust_5"]


def test_audit_logs_are_append_only_and_listed_newest_first(repos: SalonRepositories) -> None:
    first = audit(SALON)
    second = audit(SALON, event_type="approval_requested", created_at=NOW + timedelta(seconds=1),
                   resource_type="approval", resource_id="apr_1")
    repos.audit_logs.append(first)
    repos.audit_logs.append(second)
    assert [e.id for e in repos.audit_logs.recent()] == [second.id, first.id]
    assert [e.id for e in repos.audit_logs.recent(event_type=AuditEventType.DECISION_MADE)] == [first.id]
    assert [e.id for e in repos.audit_logs.for_resource("approval", "apr_1")] == [second.id]
    with pytest.raises(TypeError, match="append-only"):
        repos.audit_logs.update(first.id, {"severity": "debug"})
    with pytest.raises(TypeError, match="append-only"):
        repos.audit_logs.delete(first.id)
    with pytest.raises(AlreadyExists):
        repos.audit_logs.append(first)


def test_reads_and_writes_take_part_in_a_transaction(repos: SalonRepositories, firestore_client: Any) -> None:
    repos.approvals.create(approval(SALON, "apr_1"))
    responded = NOW + timedelta(minutes=2)

    @firestore.transactional
    def approve(transaction: Any) -> Approval:
        current = repos.approvals.get("apr_1", transaction=transaction)
        assert current is not None and current.is_open(responded)
        pending = repos.approvals.pending(transaction=transaction)
        assert [a.id for a in pending] == ["apr_1"]
        repos.approvals.update("apr_1", {"status": ApprovalStatus.APPROVED, "response.action": "approve",
                                         "response.responded_by": "uid_owner",
                                         "response.responded_at": responded, "updated_at": responded},
                               writer=transaction)
        repos.audit_logs.append(audit(SALON, event_type="approval_granted"), writer=transaction)
        return current

    approve(repos.transaction())
    final = repos.approvals.get("apr_1")
    assert final is not None and final.status is ApprovalStatus.APPROVED
    assert final.response.responded_by == "uid_owner"
    assert len(repos.audit_logs.recent()) == 1


def test_a_failed_transaction_leaves_nothing_behind(repos: SalonRepositories) -> None:
    existing = outreach(SALON)
    repos.outreach.create(existing)

    @firestore.transactional
    def duplicate(transaction: Any) -> None:
        repos.audit_logs.append(audit(SALON), writer=transaction)
        repos.outreach.create(existing, writer=transaction)

    with pytest.raises(AlreadyExists):
        duplicate(repos.transaction())
    assert repos.audit_logs.recent() == []


def test_an_update_conditional_on_last_update_time_refuses_a_stale_write(
    repos: SalonRepositories, firestore_client: Any
) -> None:
    from google.api_core.exceptions import FailedPrecondition

    repos.gaps.create(gap(SALON, NOW + timedelta(hours=1)))
    gap_id = repos.gaps.open()[0].id
    seen = repos.gaps.ref(gap_id).get().update_time
    repos.gaps.update(gap_id, {"fill_attempts": 1}, last_update_time=seen)
    with pytest.raises(FailedPrecondition):
        repos.gaps.update(gap_id, {"fill_attempts": 5}, last_update_time=seen)


def test_pages_follow_a_cursor_in_a_stable_order(repos: SalonRepositories) -> None:
    for index in range(5):
        repos.decisions.create(decision(SALON, f"dec_{index}", created_at=NOW + timedelta(minutes=index % 2),
                                        updated_at=NOW + timedelta(minutes=1)))
    order = [("created_at", "DESCENDING"), ("__name__", "DESCENDING")]
    first = repos.decisions.query(order_by=order, limit=2)
    last = first[-1]
    second = repos.decisions.query(order_by=order, limit=2,
                                   start_after={"created_at": last.created_at, "__name__": last.id})
    third = repos.decisions.query(order_by=order, limit=2,
                                  start_after={"created_at": second[-1].created_at, "__name__": second[-1].id})
    assert [d.id for d in first + second + third] == ["dec_3", "dec_1", "dec_4", "dec_2", "dec_0"]
