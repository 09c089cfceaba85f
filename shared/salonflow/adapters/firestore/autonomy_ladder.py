"""Graduated autonomy in Firestore: ``salons/{salon_id}/autonomy_standings/{decision_type}``.

Every event that can move an action type's level — an owner's verdict on an approval, an opt-out answering
one of its messages, the owner's pin, the daily review — runs one transaction over the salon document and the
type's standing: ``governance.graduation.review`` decides, the standing is written, and when the level moves
the salon's ``autonomy.<type>`` (which the executor reads) changes with it and one ``config_changed`` audit
row says why, with the numbers. The count of the type's decisions in the window (for the opt-out rate) is an
aggregation query read before the transaction: it only scales the spike threshold, and a count a few
decisions stale cannot matter there.

Cost per event: 1 aggregation (1 read per 1,000 index entries) + 2 reads + 1 write; + 2 writes on a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain.autonomy_standing import AutonomyStanding, RecordedOptOut, RecordedVerdict
from salonflow.domain.enums import DecisionType
from salonflow.governance import audit
from salonflow.governance.graduation import WINDOW, Pin, StandingReview, review, salon_level

GRADUATION_ACTOR = "system:graduation"


class AutonomyLadder:
    def __init__(self, client: firestore.Client, salon_id: str) -> None:
        self.client = client
        self.salon_id = salon_id
        self.repos = SalonRepositories(client, salon_id)
        self.audit = AuditLogWriter(client, salon_id)

    def record_verdict(self, decision_type: DecisionType | str, approval_id: str, approved: bool,
                       now: datetime) -> StandingReview:
        verdict = RecordedVerdict(approval_id=approval_id, at=now, approved=approved)
        return self._review(DecisionType(decision_type), now, verdict=verdict)

    def record_opt_out(self, decision_type: DecisionType | str, outreach_id: str, at: datetime,
                       now: datetime) -> StandingReview:
        return self._review(DecisionType(decision_type), now, opt_out=RecordedOptOut(key=outreach_id, at=at))

    def pin(self, decision_type: DecisionType | str, pin: Pin, now: datetime) -> StandingReview:
        return self._review(DecisionType(decision_type), now, pin=pin, actor=pin.by)

    def review_all(self, now: datetime, types: Iterable[DecisionType] = tuple(DecisionType)) -> list[StandingReview]:
        """The periodic look: opt-outs age out of the window, a spike demotes even without a new event."""
        return [self._review(decision_type, now) for decision_type in types]

    def standings(self, types: Iterable[DecisionType]) -> dict[DecisionType, AutonomyStanding | None]:
        wanted = list(types)
        found = self.repos.autonomy_standings.get_many([t.value for t in wanted])
        return {t: found.get(t.value) for t in wanted}

    def _review(self, decision_type: DecisionType, now: datetime, *, actor: str = GRADUATION_ACTOR,
                **event: Any) -> StandingReview:
        decisions = self.repos.decisions.count(
            [("decision_type", "==", decision_type.value), ("created_at", ">=", now - WINDOW)],
            order_by=[("created_at", "DESCENDING")])
        salon_ref = self.repos.salon.ref
        standing_ref = self.repos.autonomy_standings.ref(decision_type.value)

        def apply(transaction: Any) -> StandingReview:
            salon_snap = salon_ref.get(transaction=transaction)
            if not salon_snap.exists:
                raise LookupError(f"salon {self.salon_id} not found")
            current = salon_level(decision_type, (salon_snap.to_dict() or {}).get("autonomy"))
            stored = self.repos.autonomy_standings.get(decision_type.value, transaction=transaction)
            result = review(stored, salon_id=self.salon_id, decision_type=decision_type, current_level=current,
                            decisions_in_window=decisions, now=now, **event)
            if stored is None or _moved(stored, result.standing):
                transaction.set(standing_ref, result.standing.to_firestore())
            if result.standing.level is not current:
                transaction.update(salon_ref, {f"autonomy.{decision_type.value}": result.standing.level.value,
                                               "updated_at": now})
                self.audit.append(audit.autonomy_changed(
                    self.salon_id, actor, decision_type.value, current.value, result.standing.level.value,
                    result.standing.reason, result.standing.evidence, now), transaction=transaction)
            return result

        return run_transaction(self.client, apply)


def _moved(before: AutonomyStanding, after: AutonomyStanding) -> bool:
    """Anything but the review time changed (an hourly look that finds nothing writes nothing)."""
    return before.model_dump(exclude={"updated_at"}) != after.model_dump(exclude={"updated_at"})
