"""Lifecycles of decisions, approvals and gaps as pure state machines.

Each machine is a table of allowed moves. ``advance`` answers: the new state, whether
anything changed (a repeated event is a no-op, not an error -- everything here is
delivered at least once), or ``InvalidTransition`` (e.g. approving a rejected approval).
Terminal states are final. The outreach lifecycle, which also has to digest provider
callbacks, lives in ``outreach_lifecycle``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from salonflow.domain.enums import ApprovalStatus, GapStatus
from salonflow.governance.clock import require_aware

S = TypeVar("S", bound=enum.Enum)


class InvalidTransition(ValueError):
    pass


@dataclass(frozen=True)
class Step(Generic[S]):
    state: S
    changed: bool


@dataclass(frozen=True)
class Machine(Generic[S]):
    name: str
    moves: Mapping[S, frozenset[S]]

    def is_terminal(self, state: S) -> bool:
        return not self.moves.get(state)

    def advance(self, current: S, target: S) -> Step[S]:
        if current == target:
            return Step(current, False)
        if target not in self.moves.get(current, frozenset()):
            raise InvalidTransition(f"{self.name}: {current.value} -> {target.value} is not allowed")
        return Step(target, True)


# ----------------------------------------------------------------------------- decision


class DecisionPhase(enum.StrEnum):
    CREATED = "created"
    PENDING_APPROVAL = "pending_approval"
    EXECUTING = "executing"
    SUCCESS = "success"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"


DECISION = Machine[DecisionPhase]("decision", {
    DecisionPhase.CREATED: frozenset({DecisionPhase.PENDING_APPROVAL, DecisionPhase.EXECUTING,
                                      DecisionPhase.FAILED, DecisionPhase.EXPIRED}),
    DecisionPhase.PENDING_APPROVAL: frozenset({DecisionPhase.EXECUTING, DecisionPhase.REJECTED,
                                               DecisionPhase.EXPIRED}),
    DecisionPhase.EXECUTING: frozenset({DecisionPhase.SUCCESS, DecisionPhase.FAILED, DecisionPhase.EXPIRED}),
})


def decision_status_fields(phase: DecisionPhase, approval_required: bool) -> dict[str, str]:
    """The spec's ``approval.status`` and ``outcome.status`` for a phase."""
    if phase is DecisionPhase.PENDING_APPROVAL:
        approval = "pending"
    elif phase is DecisionPhase.REJECTED:
        approval = "rejected"
    elif not approval_required:
        approval = "not_required"
    elif phase is DecisionPhase.EXPIRED:
        approval = "expired"  # caller keeps "approved" if it expired after approval (see decision_expiry)
    elif phase is DecisionPhase.CREATED:
        approval = "pending"
    else:
        approval = "approved"
    outcome = phase.value if phase in (DecisionPhase.SUCCESS, DecisionPhase.FAILED, DecisionPhase.EXPIRED,
                                       DecisionPhase.REJECTED) else "pending"
    return {"approval.status": approval, "outcome.status": outcome}


def decision_phase_from_fields(approval_status: str, outcome_status: str) -> DecisionPhase:
    """Recover the phase from a stored decision (``executing`` = approved/not required, no outcome)."""
    if outcome_status != "pending":
        return DecisionPhase(outcome_status)
    if approval_status == "pending":
        return DecisionPhase.PENDING_APPROVAL
    if approval_status in ("approved", "not_required"):
        return DecisionPhase.EXECUTING
    if approval_status == "rejected":
        return DecisionPhase.REJECTED
    return DecisionPhase.EXPIRED


def decision_expiry(phase: DecisionPhase, expires_at: datetime | None, now: datetime) -> Step[DecisionPhase]:
    """Expire a decision whose ``expires_at`` has passed, unless it already finished."""
    require_aware(now)
    if expires_at is None or now < expires_at or DECISION.is_terminal(phase):
        return Step(phase, False)
    return DECISION.advance(phase, DecisionPhase.EXPIRED)


# ----------------------------------------------------------------------------- approval

DEFAULT_APPROVAL_TTL = timedelta(minutes=15)


APPROVAL = Machine[ApprovalStatus]("approval", {
    ApprovalStatus.PENDING: frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED,
                                       ApprovalStatus.EXPIRED, ApprovalStatus.CANCELLED}),
})


def approval_expires_at(created_at: datetime, decision_expires_at: datetime | None = None,
                        ttl: timedelta = DEFAULT_APPROVAL_TTL) -> datetime:
    """15 minutes by default, never later than the decision it approves."""
    require_aware(created_at)
    expires = created_at + ttl
    return min(expires, decision_expires_at) if decision_expires_at else expires


@dataclass(frozen=True)
class ApprovalResponse:
    status: ApprovalStatus
    changed: bool
    response: dict[str, object]  # the spec's ``response`` map to write (empty when unchanged)


def respond_to_approval(current: ApprovalStatus, expires_at: datetime, action: str, responded_by: str,
                        now: datetime, notes: str | None = None) -> ApprovalResponse:
    """A person approves or rejects. Too late -> the approval expires instead.

    Responding again with the same answer is a no-op; a different answer to a decided
    approval raises ``InvalidTransition``.
    """
    require_aware(now)
    target = {"approve": ApprovalStatus.APPROVED, "reject": ApprovalStatus.REJECTED}.get(action)
    if target is None:
        raise ValueError(f"unknown approval action {action!r}")
    if current is ApprovalStatus.PENDING and now >= expires_at:
        return ApprovalResponse(ApprovalStatus.EXPIRED, True, {})
    step = APPROVAL.advance(current, target)
    response: dict[str, object] = (
        {"action": action, "responded_by": responded_by, "responded_at": now, "notes": notes}
        if step.changed else {}
    )
    return ApprovalResponse(step.state, step.changed, response)


def approval_expiry(current: ApprovalStatus, expires_at: datetime, now: datetime) -> Step[ApprovalStatus]:
    require_aware(now)
    if current is ApprovalStatus.PENDING and now >= expires_at:
        return APPROVAL.advance(current, ApprovalStatus.EXPIRED)
    return Step(current, False)


# ----------------------------------------------------------------------------- gap


GAP = Machine[GapStatus]("gap", {
    GapStatus.OPEN: frozenset({GapStatus.FILLED, GapStatus.EXPIRED, GapStatus.IGNORED}),
})


def gap_fill_attempt(status: GapStatus, fill_attempts: int, now: datetime) -> dict[str, object]:
    """Fields to write when an agent tries to fill a gap; only open gaps can be attempted."""
    require_aware(now)
    if status is not GapStatus.OPEN:
        raise InvalidTransition(f"gap: cannot attempt to fill a {status.value} gap")
    return {"fill_attempts": fill_attempts + 1, "last_attempt_at": now, "updated_at": now}


def gap_filled(status: GapStatus, filled_by: str, now: datetime) -> dict[str, object]:
    """Fields to write when a booking fills the gap (``filled_by`` = booking id). Idempotent."""
    step = GAP.advance(status, GapStatus.FILLED)
    return {"status": step.state.value, "filled_by": filled_by, "updated_at": now} if step.changed else {}


def gap_expiry(status: GapStatus, start_time: datetime, now: datetime) -> Step[GapStatus]:
    """A gap that has started without being filled is gone."""
    require_aware(now)
    if status is GapStatus.OPEN and now >= start_time:
        return GAP.advance(status, GapStatus.EXPIRED)
    return Step(status, False)
