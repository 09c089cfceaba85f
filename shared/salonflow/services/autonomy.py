"""Graduated autonomy, fed by what happens: the owner's verdicts, customers' opt-outs, the hourly review.

`governance.graduation` decides; `adapters.firestore.autonomy_ladder` keeps the record and applies the level.
These functions connect the events to it. Each is idempotent (a verdict is keyed by its approval, an opt-out by
the message it answers), so an answer delivered twice or a trigger replayed counts once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.autonomy_ladder import AutonomyLadder
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain.enums import ApprovalStatus, DecisionType
from salonflow.governance.graduation import StandingReview

# An opt-out counts against the message it answers only if that message is this recent: a STOP a week after
# our last message says little about that message.
OPT_OUT_ATTRIBUTION = timedelta(days=3)


def record_owner_verdict(client: firestore.Client, salon_id: str, approval_id: str, decision_type: str,
                         status: ApprovalStatus, now: datetime) -> StandingReview | None:
    """An approved or rejected approval is one verdict on its action type; an expiry is none."""
    if status not in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        return None
    return AutonomyLadder(client, salon_id).record_verdict(
        DecisionType(decision_type), approval_id, status is ApprovalStatus.APPROVED, now)


def record_opt_out(client: firestore.Client, salon_id: str, customer_id: str, now: datetime) -> StandingReview | None:
    """A customer opted out: it counts against the action type of our latest message to them, if recent."""
    repos = SalonRepositories(client, salon_id)
    latest = repos.outreach.query([("customer_id", "==", customer_id)], order_by=[("created_at", "DESCENDING")],
                                  limit=1)
    if not latest or latest[0].decision_id is None or now - latest[0].created_at > OPT_OUT_ATTRIBUTION:
        return None
    decision = repos.decisions.get(latest[0].decision_id)
    if decision is None:
        return None
    return AutonomyLadder(client, salon_id).record_opt_out(decision.decision_type, latest[0].id, now, now)


def review_autonomy(client: firestore.Client, salon_id: str, now: datetime) -> list[dict[str, Any]]:
    """The hourly look (cleanup run): the level changes it made, if any."""
    return [{"decision_type": r.standing.decision_type.value, "from": r.previous_level.value,
             "to": r.standing.level.value, "reason": r.standing.reason}
            for r in AutonomyLadder(client, salon_id).review_all(now) if r.level_changed]
