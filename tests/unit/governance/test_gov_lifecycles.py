from datetime import UTC, datetime, timedelta

import pytest
from salonflow.governance.lifecycles import (
    DECISION,
    ApprovalStatus,
    DecisionPhase,
    GapStatus,
    InvalidTransition,
    approval_expires_at,
    approval_expiry,
    decision_expiry,
    decision_phase_from_fields,
    decision_status_fields,
    gap_expiry,
    gap_fill_attempt,
    gap_filled,
    respond_to_approval,
)

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def test_a_supervised_decision_goes_through_approval_to_success() -> None:
    phase = DecisionPhase.CREATED
    for nxt in (DecisionPhase.PENDING_APPROVAL, DecisionPhase.EXECUTING, DecisionPhase.SUCCESS):
        step = DECISION.advance(phase, nxt)
        assert step.changed
        phase = step.state
    assert decision_status_fields(phase, approval_required=True) == {
        "approval.status": "approved", "outcome.status": "success"}


def test_a_full_auto_decision_skips_approval() -> None:
    step = DECISION.advance(DecisionPhase.CREATED, DecisionPhase.EXECUTING)
    assert decision_status_fields(step.state, approval_required=False) == {
        "approval.status": "not_required", "outcome.status": "pending"}


def test_a_rejected_decision_can_not_execute() -> None:
    with pytest.raises(InvalidTransition):
        DECISION.advance(DecisionPhase.REJECTED, DecisionPhase.EXECUTING)


def test_the_phase_is_recovered_from_stored_fields() -> None:
    assert decision_phase_from_fields("pending", "pending") is DecisionPhase.PENDING_APPROVAL
    assert decision_phase_from_fields("not_required", "pending") is DecisionPhase.EXECUTING
    assert decision_phase_from_fields("approved", "failed") is DecisionPhase.FAILED


def test_a_decision_expires_at_expires_at_unless_finished() -> None:
    expires = T0 + timedelta(minutes=15)
    assert not decision_expiry(DecisionPhase.PENDING_APPROVAL, expires, T0).changed
    assert decision_expiry(DecisionPhase.PENDING_APPROVAL, expires, expires).state is DecisionPhase.EXPIRED
    assert not decision_expiry(DecisionPhase.SUCCESS, expires, expires).changed


def test_approvals_expire_after_fifteen_minutes_by_default_and_never_after_their_decision() -> None:
    assert approval_expires_at(T0) == T0 + timedelta(minutes=15)
    assert approval_expires_at(T0, T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=5)


def test_an_approval_in_time_records_who_and_when() -> None:
    result = respond_to_approval(ApprovalStatus.PENDING, T0 + timedelta(minutes=15), "approve", "user_1",
                                 T0 + timedelta(minutes=3), notes="ok")
    assert result.status is ApprovalStatus.APPROVED
    assert result.response == {"action": "approve", "responded_by": "user_1",
                               "responded_at": T0 + timedelta(minutes=3), "notes": "ok"}


def test_a_late_approval_expires_instead() -> None:
    result = respond_to_approval(ApprovalStatus.PENDING, T0, "approve", "user_1", T0 + timedelta(seconds=1))
    assert result.status is ApprovalStatus.EXPIRED


def test_repeating_an_answer_is_a_no_op_and_changing_it_is_refused() -> None:
    again = respond_to_approval(ApprovalStatus.APPROVED, T0, "approve", "user_1", T0)
    assert not again.changed
    with pytest.raises(InvalidTransition):
        respond_to_approval(ApprovalStatus.APPROVED, T0, "reject", "user_2", T0)


def test_pending_approvals_expire_on_the_cleanup_run() -> None:
    assert approval_expiry(ApprovalStatus.PENDING, T0, T0).state is ApprovalStatus.EXPIRED
    assert not approval_expiry(ApprovalStatus.CANCELLED, T0, T0).changed


def test_a_gap_counts_attempts_until_it_is_filled() -> None:
    assert gap_fill_attempt(GapStatus.OPEN, 2, T0) == {"fill_attempts": 3, "last_attempt_at": T0, "updated_at": T0}
    assert gap_filled(GapStatus.OPEN, "bk_1", T0)["filled_by"] == "bk_1"
    assert gap_filled(GapStatus.FILLED, "bk_1", T0) == {}
    with pytest.raises(InvalidTransition):
        gap_fill_attempt(GapStatus.FILLED, 3, T0)


def test_an_open_gap_expires_when_it_starts() -> None:
    assert gap_expiry(GapStatus.OPEN, T0, T0).state is GapStatus.EXPIRED
    assert not gap_expiry(GapStatus.IGNORED, T0, T0).changed
