"""Writing what the cleanup and analytics agents computed, and keeping customer scores current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salonflow.adapters.firestore.decision_outcomes import close_outcome
from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.agents.analytics import agent_counters, daily_analytics
from salonflow.agents.cleanup import CleanupPlan
from salonflow.agents.gaps import GapChanges
from salonflow.agents.outcomes import SETTLED_AGENTS, Case, settle
from salonflow.agents.scores import compute_customer_score, refresh_customer_score
from salonflow.agents.snapshot import SalonSnapshot
from salonflow.domain.agent_state import AGENT_NAMES, AgentCounters, AgentHealth, AgentState, RunFacts
from salonflow.domain.bookings import Booking
from salonflow.domain.customer_scores import CustomerScore
from salonflow.domain.decisions import CaseOutcome
from salonflow.domain.enums import (
    ApprovalStatus,
    DecisionApprovalStatus,
    GapStatus,
    OutcomeStatus,
    OutreachStatus,
    WaitlistStatus,
)
from salonflow.governance import audit
from salonflow.governance.lifecycles import approval_expiry
from salonflow.observability import signals
from salonflow.services import views
from salonflow.services.gap_fill_service import GapService
from salonflow.services.ports import ServicePorts
from salonflow.services.snapshot_loader import ANALYTICS_COLLECTION, SnapshotLoader

SCORE_SWEEP_LIMIT = 500
SCORE_HISTORY = timedelta(days=365 * 3)


@dataclass(frozen=True)
class CleanupReport:
    approvals: int = 0
    decisions: int = 0
    outreach: int = 0
    gaps: int = 0
    waitlist_expired: int = 0
    waitlist_released: int = 0


def apply_cleanup(client: firestore.Client, salon_id: str, plan: CleanupPlan, ports: ServicePorts,
                  now: datetime) -> CleanupReport:
    repos = SalonRepositories(client, salon_id)
    writer = AuditLogWriter(client, salon_id)
    expired_approvals = 0
    for approval_id in plan.expire_approvals:
        ref = repos.approvals.ref(approval_id)

        def expire(transaction: Any, ref: Any = ref, approval_id: str = approval_id) -> tuple[str, str] | None:
            data = (ref.get(transaction=transaction).to_dict() or {})
            step = approval_expiry(ApprovalStatus(data.get("status", "pending")), data["expires_at"], now)
            if not step.changed:
                return None
            transaction.update(ref, {"status": ApprovalStatus.EXPIRED.value, "updated_at": now})
            transaction.update(repos.decisions.ref(str(data["decision_id"])), {
                "approval.status": DecisionApprovalStatus.EXPIRED.value,
                "outcome.status": OutcomeStatus.EXPIRED.value, "outcome.result": "approval_expired",
                "outcome.completed_at": now, "updated_at": now})
            writer.append(audit.approval_expired(salon_id, approval_id, str(data["decision_id"]),
                                                 data["expires_at"], now), transaction=transaction)
            return str(data["decision_id"]), str(data.get("agent_name") or "")

        expired = run_transaction(client, expire)
        if expired is not None:
            decision_id, agent_name = expired
            expired_approvals += 1
            signals.approval_closed(now=now, salon_id=salon_id, agent_name=agent_name, approval_id=approval_id,
                                    decision_id=decision_id, status=ApprovalStatus.EXPIRED.value)
            ports.events.publish(SalonEvent.create(EventType.APPROVAL_EXPIRED, salon_id=salon_id,
                                                   resource_id=approval_id, occurred_at=now,
                                                   related={"decision_id": decision_id},
                                                   data={"expires_at": now.isoformat()}))
    batch = client.batch()
    pending = 0
    approval_decisions = set()
    for decision_id in plan.expire_decisions:
        decision = repos.decisions.get(decision_id)
        if decision is None or decision.outcome.status is not OutcomeStatus.PENDING:
            continue
        if decision.approval.status is DecisionApprovalStatus.PENDING:
            approval_decisions.add(decision_id)  # settled with its approval above
            continue
        repos.decisions.update(decision_id, {"outcome.status": OutcomeStatus.EXPIRED,
                                             "outcome.result": "expired", "outcome.completed_at": now,
                                             "updated_at": now}, batch)
        pending += 1
    for outreach_id in plan.expire_outreach:
        repos.outreach.update(outreach_id, {"status": OutreachStatus.EXPIRED, "updated_at": now}, batch)
        pending += 1
    for entry_id in plan.expire_waitlist:
        repos.waitlist.update(entry_id, {"status": WaitlistStatus.EXPIRED, "updated_at": now}, batch)
        pending += 1
    for entry_id in plan.release_waitlist:
        repos.waitlist.update(entry_id, {"status": WaitlistStatus.WAITING, "offered_at": None,
                                         "updated_at": now}, batch)
        pending += 1
    if pending:
        batch.commit()
    gaps = GapService(client, salon_id, ports)
    if plan.expire_gaps:
        stored = {g.id: views.gap_view(g) for g in repos.gaps.get_many(plan.expire_gaps).values()
                  if g.status is GapStatus.OPEN}
        gaps.apply(GapChanges(expired=tuple(stored)), stored, now)
    return CleanupReport(approvals=expired_approvals,
                         decisions=len(plan.expire_decisions) - len(approval_decisions),
                         outreach=len(plan.expire_outreach), gaps=len(plan.expire_gaps),
                         waitlist_expired=len(plan.expire_waitlist), waitlist_released=len(plan.release_waitlist))


def write_analytics(client: firestore.Client, salon_id: str, snapshot: SalonSnapshot, day: date,
                    now: datetime) -> dict[str, Any]:
    """The per-day analytics document and every agent's `counters` for that day."""
    repos = SalonRepositories(client, salon_id)
    doc = daily_analytics(snapshot, day)
    doc["updated_at"] = now
    batch = client.batch()
    batch.set(client.collection("salons", salon_id, ANALYTICS_COLLECTION).document(day.isoformat()), doc)
    states = repos.agent_states.get_many(AGENT_NAMES)
    for agent in AGENT_NAMES:
        counters = AgentCounters.model_validate(agent_counters(snapshot.decisions, agent, day))
        state = states.get(agent)
        if state is None:
            fresh = AgentState.initial(salon_id, agent, now, day).model_copy(update={"counters": counters})
            repos.agent_states.create(fresh, batch)
        elif state.counters.date <= day:
            repos.agent_states.update(agent, {"counters": counters.to_firestore(), "updated_at": now}, batch)
    batch.commit()
    return doc


class ScoreService:
    def __init__(self, client: firestore.Client, salon_id: str) -> None:
        self.client = client
        self.salon_id = salon_id
        self.repos = SalonRepositories(client, salon_id)
        self.loader = SnapshotLoader(self.repos)

    def on_booking_changed(self, customer_id: str, now: datetime) -> CustomerScore | None:
        """Rebuild one customer's score from their own bookings (a booking completed, no-show, cancelled)."""
        customer = self.repos.customers.get(customer_id)
        if customer is None:
            return None
        salon = self.loader.salon()
        history = self.repos.bookings.for_customer(customer_id, since=now - SCORE_HISTORY)
        outreach = self.repos.outreach.for_customer_since(customer_id, now - timedelta(days=180))
        existing = self.repos.customer_scores.get(customer_id)
        score = compute_customer_score(
            self.salon_id, views.customer_view(customer), [views.booking_view(b) for b in history],
            [views.outreach_view(o) for o in outreach], now, salon.zone, views.agent_settings(salon),
            created_at=existing.created_at if existing else None)
        self.repos.customer_scores.upsert(score)
        return score

    def sweep(self, now: datetime, limit: int = SCORE_SWEEP_LIMIT) -> int:
        """Age scores not assessed today (no bookings read): overdue factors and segments move with time."""
        salon = self.loader.salon()
        today = now.astimezone(salon.zone).date()
        stale = self.repos.customer_scores.query([("churn_risk.last_assessment", "<", today)], limit=limit)
        settings = views.agent_settings(salon)
        return self.repos.customer_scores.upsert_many(
            refresh_customer_score(s, now, salon.zone, settings) for s in stale)


def mark_run(client: firestore.Client, salon_id: str, agent_name: str, now: datetime, interval: timedelta,
             today: date, run: RunFacts, before: AgentState | None) -> None:
    """`last_execution` / `next_scheduled` / `health` after a run (the scheduler fans out from these).

    `before` is the state the run started from; only this agent's runs write its health, and a salon's
    runs of one agent are serialised by the scheduler's task names, so it is not stale."""
    repos = SalonRepositories(client, salon_id)
    ref = repos.agent_states.ref(agent_name)
    health = (before.health if before is not None else AgentHealth()).after_run(run, now)
    changes = {"last_execution": now, "next_scheduled": now + interval, "health": health.to_firestore(),
               "updated_at": now}
    try:
        ref.update(changes)
    except gexc.NotFound:  # first run of this agent in this salon: create its state
        state = AgentState.initial(salon_id, agent_name, now, today).model_copy(
            update={"last_execution": now, "next_scheduled": now + interval, "health": health})
        ref.set(state.to_firestore())


SETTLE_BATCH = 200


def settle_outcomes(client: firestore.Client, salon_id: str, now: datetime, limit: int = SETTLE_BATCH) -> int:
    """Record how each no-show, retention and upsell case ended, from the bookings (`agents.outcomes`), on its
    decision's `case_outcome`, held out and treated alike, so the lift compares like with like whatever the
    decision itself did; a decision whose own outcome is still pending (and not with the owner) is closed with
    it. Oldest cases first. Returns how many cases were settled."""
    repos = SalonRepositories(client, salon_id)
    settled = 0
    for agent in SETTLED_AGENTS:
        unsettled = repos.decisions.query([("agent_name", "==", agent), ("case_outcome", "==", None)],
                                          order_by=[("created_at", "ASCENDING")], limit=limit)
        by_customer: dict[str, list[Booking]] = {}
        for decision in unsettled:
            context = decision.context
            booking_id = (context.model_extra or {}).get("booking_id")
            booking = repos.bookings.get(str(booking_id)) if booking_id else None
            customer = context.customer_id
            if customer and agent != "no_show_prevention_agent" and customer not in by_customer:
                by_customer[customer] = repos.bookings.query([("customer_id", "==", customer)])
            outcome = settle(Case(agent, decision.created_at, booking, context.service_id if agent ==
                                  "upsell_agent" else None), by_customer.get(customer or "", []), now)
            if outcome is None:
                continue
            case = CaseOutcome(status=OutcomeStatus(outcome.status), result=outcome.result, revenue=outcome.revenue,
                               booking_id=outcome.booking_id, settled_at=now).model_dump(mode="python")
            repos.decisions.update(decision.id, {"case_outcome": case, "updated_at": now})
            settled += 1
            if decision.approval.status.value == "pending":
                continue  # still with the owner: the decision itself did nothing yet
            # One transaction each (not one batch): a concurrent cleanup run closes each decision once, and
            # only the run that closed it logs the outcome and its revenue.
            close_outcome(client, salon_id, decision.id, {
                "outcome.status": outcome.status, "outcome.result": outcome.result,
                "outcome.completed_at": now, "outcome.booking_created_id": outcome.booking_id,
                "revenue_impact.actual": outcome.revenue, "updated_at": now}, now)
    return settled
