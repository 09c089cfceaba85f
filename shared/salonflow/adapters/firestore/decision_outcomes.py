"""A decision's outcome, closed once and logged once.

Handlers run at least once (Cloud Tasks and Pub/Sub redeliver, Firestore triggers repeat, two answers race), so
the success rate and the attributed revenue must not count an outcome twice. An outcome moves out of `pending`
in a transaction that reads the decision first; whoever's transaction moved it logs it, after the commit.

`close_outcome` is that transaction for callers that only set the outcome; callers whose own transaction sets
it (an accepted offer, a confirmation reply) read the decision there and use `closed_by` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.observability import signals

DECISIONS = "autonomous_decisions"


@dataclass(frozen=True)
class ClosedOutcome:
    decision_id: str
    agent_name: str
    status: str
    result: str
    revenue: float


def _status(value: object) -> str:
    return str(getattr(value, "value", value))


def closed_by(decision_id: str, stored: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> ClosedOutcome | None:
    """What writing `changes` (dotted outcome fields) over the decision as read does to its outcome status:
    None when the status does not move (a repeat, or no decision). Holdout cases are no autonomous action."""
    if not stored or stored.get("action_taken") == "holdout_no_action":
        return None
    before = _status((stored.get("outcome") or {}).get("status"))
    after = _status(changes.get("outcome.status", before))
    if after == before:
        return None
    revenue = changes.get("revenue_impact.actual", (stored.get("revenue_impact") or {}).get("actual"))
    return ClosedOutcome(decision_id, str(stored.get("agent_name") or ""), after,
                         str(changes.get("outcome.result") or ""), float(revenue or 0))


def log_closed(salon_id: str, closed: ClosedOutcome | None, now: datetime) -> None:
    if closed is not None:
        signals.decision_outcome(now=now, salon_id=salon_id, agent_name=closed.agent_name,
                                 decision_id=closed.decision_id, status=closed.status, outcome=closed.result,
                                 revenue=closed.revenue)


def close_outcome(client: firestore.Client, salon_id: str, decision_id: str, changes: Mapping[str, Any],
                  now: datetime, *, also: Callable[[Any], object] | None = None) -> ClosedOutcome | None:
    """Write `changes` if the decision's outcome is still pending (plus `also(transaction)`'s writes, e.g. an
    audit row); log the outcome it closed. None when it was no longer pending, or is gone: nothing written."""
    if _status(changes.get("outcome.status", "pending")) == "pending":
        raise ValueError("close_outcome needs a final outcome.status")
    ref = client.collection("salons", salon_id, DECISIONS).document(decision_id)

    def close(transaction: Any) -> ClosedOutcome | None:
        snap = ref.get(transaction=transaction)
        stored = snap.to_dict() if snap.exists else None
        if not stored or _status((stored.get("outcome") or {}).get("status")) != "pending":
            return None
        transaction.update(ref, dict(changes))
        if also is not None:
            also(transaction)
        return closed_by(decision_id, stored, changes)

    closed = run_transaction(client, close)
    log_closed(salon_id, closed, now)
    return closed
