"""Agents through governance: approvals, quiet-hours deferral, consent, holdout, cleanup and analytics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from salonflow.agents.holdout import in_holdout
from salonflow.domain.enums import (
    ApprovalStatus,
    BookingStatus,
    ConsentChannel,
    DecisionApprovalStatus,
    GapStatus,
    OutcomeStatus,
)
from salonflow.services.approval_service import ApprovalService
from salonflow.services.executor import Result
from salonflow.services.gap_fill_service import GapService
from salonflow.services.runner import run_agent
from test_agent_seed import DAY, at, book, full_day, ports, seed_customer, seed_salon

pytestmark = pytest.mark.integration
NOW = at(9)


def open_two_pm(repos, ports_, now=NOW) -> str:  # type: ignore[no-untyped-def]
    repos.bookings.update("bkg_14", {"status": BookingStatus.CANCELLED, "cancelled_at": now,
                                     "late_cancellation": True, "updated_at": now})
    [gap_id] = GapService(repos.client, repos.salon_id, ports_).detect(now, [DAY], "staff_rahul").created
    return gap_id


def test_a_supervised_gap_fill_waits_for_the_owner_and_approval_sends_exactly_once(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client, gap_fill="supervised")
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, events = ports()
    open_two_pm(repos, ports_)
    [execution] = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_).executions
    assert execution.result is Result.APPROVAL_REQUESTED and sender.messages == []
    [approval] = repos.approvals.pending()
    assert approval.decision_id == execution.decision_id and approval.action_details.time_slot == "2:00 PM - 3:00 PM"
    assert approval.expires_at == NOW + timedelta(minutes=15) and approval.priority.value == "medium"
    assert "APPROVAL_REQUESTED" in events.types()

    service = ApprovalService(firestore_client, "salon_test", ports_)
    result = service.respond(approval.id, "approve", "uid_owner", NOW + timedelta(minutes=2), notes="go")
    assert result.status is ApprovalStatus.APPROVED and result.execution is not None
    assert result.execution.result is Result.SENT and len(sender.messages) == 1
    decision = repos.decisions.get(execution.decision_id)
    assert decision is not None and decision.approval.status is DecisionApprovalStatus.APPROVED
    assert decision.approval.approved_by == "uid_owner" and decision.action_taken == "outreach_initiated"
    again = service.respond(approval.id, "approve", "uid_owner", NOW + timedelta(minutes=3))
    assert not again.changed and again.execution is not None and again.execution.result is Result.ALREADY_DONE
    assert len(sender.messages) == 1
    # The PWA path (a trigger on the approval document) is just as idempotent.
    assert service.sync_from_document(approval.id, NOW + timedelta(minutes=4)).changed is False
    assert len(sender.messages) == 1 and events.types().count("APPROVAL_APPROVED") == 1


def test_a_rejected_approval_sends_nothing_and_closes_the_decision(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client, gap_fill="supervised")
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, events = ports()
    open_two_pm(repos, ports_)
    [execution] = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_).executions
    [approval] = repos.approvals.pending()
    result = ApprovalService(firestore_client, "salon_test", ports_).respond(approval.id, "reject", "uid_owner",
                                                                              NOW + timedelta(minutes=1))
    assert result.status is ApprovalStatus.REJECTED and result.execution is None
    decision = repos.decisions.get(execution.decision_id)
    assert decision is not None and decision.outcome.status is OutcomeStatus.REJECTED
    assert decision.approval.status is DecisionApprovalStatus.REJECTED
    assert sender.messages == [] and "APPROVAL_REJECTED" in events.types()
    rerun = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW + timedelta(minutes=5), ports_)
    assert rerun.proposals == () and sender.messages == []  # the owner said no to Priya for this slot


def test_an_unanswered_approval_expires_in_cleanup(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client, gap_fill="supervised")
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, _, events = ports()
    open_two_pm(repos, ports_)
    [execution] = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_).executions
    report = run_agent(firestore_client, "salon_test", "cleanup_agent", NOW + timedelta(minutes=16), ports_)
    assert report.details["cleanup"]["approvals"] == 1
    decision = repos.decisions.get(execution.decision_id)
    assert decision is not None and decision.outcome.status is OutcomeStatus.EXPIRED
    assert repos.approvals.pending() == [] and "APPROVAL_EXPIRED" in events.types()


def test_an_offer_at_night_is_deferred_to_the_morning_not_dropped(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    tomorrow = DAY + timedelta(days=1)
    for hour in range(10, 19):
        book(repos, f"bkg_{hour}", at(hour, day=tomorrow))
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, _ = ports()
    night = at(22)
    repos.bookings.update("bkg_14", {"status": BookingStatus.CANCELLED, "cancelled_at": night,
                                     "late_cancellation": False, "updated_at": night})
    GapService(firestore_client, "salon_test", ports_).detect(night, [tomorrow], "staff_rahul")
    [execution] = run_agent(firestore_client, "salon_test", "gap_fill_agent", night, ports_).executions
    assert execution.result is Result.DEFERRED and execution.until == at(8, day=tomorrow)
    assert sender.messages == []
    waiting = repos.decisions.get(execution.decision_id)
    assert waiting is not None and waiting.outcome.status is OutcomeStatus.PENDING
    assert waiting.outcome.result == "deferred until 2026-01-15T02:30:00.000000Z: quiet_hours:service"
    morning = at(8, 5, day=tomorrow)
    [resumed] = run_agent(firestore_client, "salon_test", "gap_fill_agent", morning, ports_).executions
    assert resumed.decision_id == execution.decision_id and resumed.result is Result.SENT
    assert len(sender.messages) == 1


def test_no_consent_means_no_offer_and_a_voice_only_customer_is_never_messaged(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_voice", "Ravi Verma", "+919876500004", channels=(ConsentChannel.VOICE,))
    ports_, sender, _ = ports()
    open_two_pm(repos, ports_)
    report = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    assert report.proposals == () and sender.messages == []


def test_holdout_cases_are_recorded_and_settled_when_the_gap_fills_anyway(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client, holdout=0.5)
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, _ = ports()
    gap_id = open_two_pm(repos, ports_)
    held = in_holdout("salon_test", "gap_fill_agent", gap_id, 0.5)
    [execution] = run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_).executions
    assert execution.result is (Result.HOLDOUT if held else Result.SENT)
    assert len(sender.messages) == (0 if held else 1)
    decision = repos.decisions.get(execution.decision_id)
    assert decision is not None
    assert decision.action_taken == ("holdout_no_action" if held else "outreach_initiated")
    # Someone books the slot by phone; the next detection settles the case either way.
    book(repos, "bkg_phone", at(14), cid="cust_phone")
    found = GapService(firestore_client, "salon_test", ports_).detect(NOW + timedelta(minutes=30), [DAY],
                                                                      "staff_rahul")
    assert found.filled == (gap_id,)
    assert repos.gaps.get(gap_id).status is GapStatus.FILLED  # type: ignore[union-attr]
    if held:
        settled = repos.decisions.get(execution.decision_id)
        assert settled is not None and settled.outcome.status is OutcomeStatus.SUCCESS
        assert settled.outcome.result == "filled_without_action" and settled.revenue_impact.actual == 500


def test_analytics_writes_counters_and_the_daily_document(firestore_client) -> None:  # type: ignore[no-untyped-def]
    repos = seed_salon(firestore_client)
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, _, _ = ports()
    open_two_pm(repos, ports_)
    run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    run_agent(firestore_client, "salon_test", "analytics_agent", at(23), ports_)
    state = repos.agent_states.get("gap_fill_agent")
    assert state is not None and state.counters.actions_taken == 1 and state.counters.date == DAY
    assert state.last_execution == NOW
    doc = firestore_client.collection("salons", "salon_test", "analytics_daily").document(DAY.isoformat()).get()
    data = doc.to_dict()
    assert data["decisions"]["total"] == 1 and data["gaps"]["total"] == 1
    assert data["occupancy_by_hour"]["14"] == 0.0 and data["occupancy_by_hour"]["13"] == 1.0


def test_the_owner_is_notified_of_an_approval_on_whatsapp_with_a_reply_code(firestore_client) -> None:  # type: ignore[no-untyped-def]
    from salonflow.domain.salon import ApproverContact

    template = "HX" + "a" * 32
    repos = seed_salon(firestore_client, gap_fill="supervised",
                       approvers=[ApproverContact(name="Anita", phone="+919800000001", role="owner")],
                       whatsapp_templates={"approval_request": template})
    full_day(repos)
    seed_customer(repos, "cust_priya", "Priya Sharma", "+919876500001")
    ports_, sender, _ = ports()
    open_two_pm(repos, ports_)
    run_agent(firestore_client, "salon_test", "gap_fill_agent", NOW, ports_)
    [approval] = repos.approvals.pending()
    [note] = sender.messages
    assert note["to"] == "+919800000001" and note["template"].content_sid == template
    assert approval.id[-6:] in note["body"] and "Offer Priya" in note["body"]
    assert approval.notifications_sent.whatsapp is True
