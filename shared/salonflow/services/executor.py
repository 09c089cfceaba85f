"""The executor: proposals in, decisions / approvals / outreach out — every step through governance.

For each proposal:
1. Holdout: if the case falls in the salon+agent holdout, record a `holdout_no_action` decision and stop.
2. Autonomy (`decide_autonomy`): supervised / manual_only -> decision + approval (+ audit, events, owner notified)
   and stop; full_auto -> decision, then perform it.
3. Perform, for a message: in ONE transaction — re-check the slot is still open, `Governor.check_and_reserve`
   (consent, paused salon/agent, circuit breaker, quiet hours -> Deferred, rate limits reserved), and create the
   outreach document under its deterministic id; commit; then send through the MessageSender port and record the
   result (SID, breaker outcome, audit, OUTREACH_SENT). A failure before anything was sent releases the budget.

Decision ids are deterministic (agent, action, case, customer, slot): a replayed run finds its decision and
either does nothing (done / waiting for the owner) or resumes it (deferred earlier), and the outreach id makes
a second send impossible (`Suppressed("duplicate")`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salonflow.adapters.firestore.decision_outcomes import close_outcome
from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.governance_breaker import BreakerStore
from salonflow.adapters.firestore.governance_gate import Governor, log_breaker_trial
from salonflow.adapters.firestore.governance_idempotency import IdempotencyStore
from salonflow.adapters.firestore.governance_outreach import OutreachStatusStore
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.agents.holdout import HOLDOUT_ACTION, holdout_agent_key, in_holdout
from salonflow.agents.proposals import Action, AgentName, Proposal
from salonflow.domain.approvals import Approval, ApprovalActionDetails
from salonflow.domain.customers import Customer
from salonflow.domain.decisions import (
    AutonomousDecision,
    DecisionActionDetails,
    DecisionApproval,
    DecisionContext,
    RevenueImpact,
)
from salonflow.domain.enums import (
    ApprovalPriority,
    ApprovalStatus,
    AutonomyLevel,
    DecisionApprovalStatus,
    DecisionType,
    MessageCategory,
    MessageIntent,
    OutcomeStatus,
    OutreachStatus,
    OutreachType,
)
from salonflow.domain.ids import deterministic_id
from salonflow.domain.outreach import OfferDetails, Outreach, OutreachDelivery
from salonflow.domain.salon import Salon
from salonflow.governance import audit
from salonflow.governance.autonomy import decide_autonomy
from salonflow.governance.circuit_breaker import outcome_for
from salonflow.governance.gate import Allowed, Contact, Deferred, GovernanceSettings, Suppressed
from salonflow.governance.idempotency import IdempotencyInProgress
from salonflow.governance.lifecycles import approval_expires_at
from salonflow.governance.outreach_lifecycle import outreach_id as make_outreach_id
from salonflow.governance.quiet_hours import next_allowed_time
from salonflow.governance.types import Channel
from salonflow.observability import signals
from salonflow.ports import OutcomeKind, PushNotification, WhatsAppTemplate
from salonflow.services.messages import MessageParts, render, when_text
from salonflow.services.ports import ServicePorts

DECISIONS = "autonomous_decisions"
OFFER_WINDOW = timedelta(minutes=15)
MIN_ANSWER_WINDOW = timedelta(minutes=10)
DEFERRED_PREFIX = "deferred until "


class Result(StrEnum):
    HOLDOUT = "holdout"
    APPROVAL_REQUESTED = "approval_requested"
    WAITING_FOR_APPROVAL = "waiting_for_approval"
    SENT = "sent"
    CALLED = "called"
    RECORDED = "recorded"  # an approved decision with nothing to send (dynamic pricing)
    DEFERRED = "deferred"
    SUPPRESSED = "suppressed"
    FAILED = "failed"
    ALREADY_DONE = "already_done"
    SLOT_GONE = "slot_gone"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Execution:
    decision_id: str
    result: Result
    detail: str | None = None
    outreach_id: str | None = None
    until: datetime | None = None


# ---------------------------------------------------------------------- proposal <-> stored map


def proposal_to_map(proposal: Proposal) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(proposal):
        value = getattr(proposal, f.name)
        out[f.name] = value.value if isinstance(value, StrEnum) else (dict(value) if isinstance(value, Mapping)
                                                                       else value)
    return out


def proposal_from_map(data: Mapping[str, Any]) -> Proposal:
    enums = {"agent_name": AgentName, "decision_type": DecisionType, "action": Action, "intent": MessageIntent,
             "outreach_type": OutreachType, "category": MessageCategory}
    values: dict[str, Any] = {}
    for f in fields(Proposal):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in enums and value is not None:
            value = enums[f.name](value)
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
        values[f.name] = value
    return Proposal(**values)


def decision_id_for(salon_id: str, proposal: Proposal) -> str:
    return deterministic_id("dec", salon_id, proposal.agent_name.value, proposal.action.value, proposal.case_key,
                            proposal.customer_id or "", proposal.time_slot or "", proposal.service_id or "")


def holdout_decision_id(salon_id: str, agent_name: str, case_key: str) -> str:
    return deterministic_id("dec", salon_id, agent_name, HOLDOUT_ACTION, case_key)


def outreach_id_for(salon_id: str, proposal: Proposal) -> str:
    assert proposal.customer_id and proposal.intent
    subject = proposal.time_slot.astimezone(UTC).isoformat() if proposal.time_slot else proposal.case_key
    return make_outreach_id(salon_id, proposal.customer_id, proposal.intent.value, subject)


# ---------------------------------------------------------------------- the executor


class Executor:
    def __init__(self, client: firestore.Client, salon_id: str, ports: ServicePorts) -> None:
        self.client = client
        self.salon_id = salon_id
        self.ports = ports
        self.repos = SalonRepositories(client, salon_id)
        self.governor = Governor(client, salon_id)
        self.audit = AuditLogWriter(client, salon_id)
        self._salon: Salon | None = None
        self._breakers: BreakerStore | None = None

    # ------------------------------------------------------------------ context
    @property
    def salon(self) -> Salon:
        if self._salon is None:
            salon = self.repos.salon.get()
            if salon is None:
                raise LookupError(f"salon {self.salon_id} not found")
            self._salon = salon
        return self._salon

    @property
    def settings(self) -> GovernanceSettings:
        return GovernanceSettings.from_salon_document(self.salon.to_firestore())

    @property
    def breakers(self) -> BreakerStore:
        if self._breakers is None:
            self._breakers = BreakerStore(self.client, self.salon_id, timezone=self.salon.timezone)
        return self._breakers

    def _decision_ref(self, decision_id: str) -> Any:
        return self.repos.decisions.ref(decision_id)

    # ------------------------------------------------------------------ entry points
    def execute(self, proposals: Iterable[Proposal], now: datetime) -> list[Execution]:
        return [self.execute_one(p, now) for p in proposals]

    def execute_one(self, proposal: Proposal, now: datetime, *, holdout_eligible: bool = True) -> Execution:
        """Apply one proposal through governance. A person's own request (``holdout_eligible=False``) is never
        held out: the holdout measures what agents add, not whether to obey the owner."""
        salon = self.salon
        if holdout_eligible and in_holdout(
                self.salon_id, holdout_agent_key(proposal.agent_name.value, proposal.trigger_type),
                proposal.case_key, salon.holdout_share):
            return self._record_holdout(proposal, now)
        decision_id = decision_id_for(self.salon_id, proposal)
        existing = self.repos.decisions.get(decision_id)
        if existing is not None:
            return self._resume(existing, proposal, now)
        autonomy = decide_autonomy(proposal.decision_type, self.settings.autonomy, proposal.discount_percent,
                                   proposal.details)
        if autonomy.approval_required:
            return self._request_approval(decision_id, proposal, autonomy.level, autonomy.reason, now)
        created = self._create_decision(decision_id, proposal, AutonomyLevel(autonomy.level),
                                        DecisionApproval.not_required(), now)
        if not created:
            existing = self.repos.decisions.get(decision_id)
            assert existing is not None
            return self._resume(existing, proposal, now)
        return self.perform(decision_id, proposal, now)

    def budget_left(self, agent_name: str, now: datetime) -> int:
        """What is left now of the agent's rolling hourly and daily budgets, within the salon's (3 reads)."""
        view = self.governor.rate_limits(agent_name, self.settings, now)
        return max(0, min(int(window["remaining"]) for window in view.values()))

    def unseen(self, proposals: list[Proposal]) -> list[Proposal]:
        """Proposals with no decision yet (treated or held out): one batch read for all of them."""
        def ids(p: Proposal) -> tuple[str, str]:
            family = holdout_agent_key(p.agent_name.value, p.trigger_type)
            return decision_id_for(self.salon_id, p), holdout_decision_id(self.salon_id, family, p.case_key)
        pairs = [ids(p) for p in proposals]
        known = self.repos.decisions.get_many([i for pair in pairs for i in pair])
        return [p for p, (a, b) in zip(proposals, pairs, strict=True) if a not in known and b not in known]

    def resume_deferred(self, agent_name: str, now: datetime, limit: int = 50) -> list[Execution]:
        """Perform this agent's decisions that governance deferred and whose time has come.

        The deferral is also enqueued as a Cloud Task when a task queue is wired; this sweep is the safety net,
        and the only path for incremental agents whose next run no longer sees the case.
        """
        # The result string sorts by its time ("deferred until <UTC>: <reason>"), so only due ones are read.
        rows = self.repos.decisions.query(
            [("agent_name", "==", agent_name), ("outcome.status", "==", OutcomeStatus.PENDING),
             ("outcome.result", ">=", DEFERRED_PREFIX),
             ("outcome.result", "<=", DEFERRED_PREFIX + _utc_stamp(now) + "\uffff")], limit=limit)
        return [self.perform_decision(d.id, now) for d in rows]

    def perform_decision(self, decision_id: str, now: datetime) -> Execution:
        """Carry out a stored decision (after approval, or when a deferral's time has come). Idempotent."""
        decision = self.repos.decisions.get(decision_id)
        if decision is None:
            raise LookupError(f"decision {decision_id} not found")
        if not isinstance((decision.action_details.model_extra or {}).get("proposal"), Mapping):
            # Recorded through the API by a person or another system: approving it is the whole effect here;
            # whoever recorded it carries it out and reports the outcome (PATCH .../decisions/{id}).
            return Execution(decision.id, Result.RECORDED, "approved; carried out by whoever recorded it")
        proposal = self._stored_proposal(decision)
        return self._resume(decision, proposal, now)

    # ------------------------------------------------------------------ decision records
    def _stored_proposal(self, decision: AutonomousDecision) -> Proposal:
        raw = (decision.action_details.model_extra or {}).get("proposal")
        if not isinstance(raw, Mapping):
            raise ValueError(f"decision {decision.id} carries no proposal to perform")
        return proposal_from_map(raw)

    def _decision_model(self, decision_id: str, proposal: Proposal, level: AutonomyLevel,
                        approval: DecisionApproval, now: datetime, action_taken: str | None = None,
                        holdout: bool = False) -> AutonomousDecision:
        details = proposal.details
        segment = details.get("customer_segment")
        extra: dict[str, Any] = {
            "reason": proposal.reason, "expected_value": proposal.expected_value,
            "probability": proposal.probability, "case_key": proposal.case_key, "holdout": holdout,
            "discount_percent": proposal.discount_percent, "proposal": proposal_to_map(proposal),
        }
        context_extra = {k: v for k, v in (("booking_id", proposal.booking_id), ("gap_id", proposal.gap_id))
                         if v is not None}
        expires = proposal.valid_until if proposal.valid_until and proposal.valid_until > now else None
        return AutonomousDecision(
            id=decision_id,
            salon_id=self.salon_id,
            agent_name=proposal.agent_name.value,
            decision_type=proposal.decision_type,
            autonomy_level=level,
            context=DecisionContext(trigger_id=proposal.trigger_id, trigger_type=proposal.trigger_type,
                                    customer_id=proposal.customer_id, staff_id=proposal.staff_id,
                                    service_id=proposal.service_id, time_slot=proposal.time_slot,
                                    **context_extra),
            action_taken=action_taken or proposal.action.value,
            action_details=DecisionActionDetails(
                gap_duration_minutes=details.get("gap_duration_minutes"),
                potential_revenue=proposal.potential_revenue,
                customer_segment=segment,
                **extra,
            ),
            revenue_impact=RevenueImpact(potential=max(0, round(proposal.potential_revenue))),
            approval=approval,
            created_at=now,
            updated_at=now,
            expires_at=expires,
        )

    def _create_decision(self, decision_id: str, proposal: Proposal, level: AutonomyLevel,
                         approval: DecisionApproval, now: datetime) -> bool:
        decision = self._decision_model(decision_id, proposal, level, approval, now)
        batch = self.client.batch()
        self.repos.decisions.create(decision, batch)
        self.audit.append(audit.decision_made(self.salon_id, proposal.agent_name.value, decision_id,
                                              proposal.decision_type.value, level.value, decision.action_taken,
                                              now, reason=proposal.reason), transaction=batch)
        try:
            batch.commit()
        except gexc.AlreadyExists:
            return False
        signals.decision_made(now=now, salon_id=self.salon_id, agent_name=proposal.agent_name.value,
                              decision_type=proposal.decision_type.value, decision_id=decision_id,
                              autonomy_level=level.value, approval_required=approval.required)
        self._publish(EventType.AUTONOMOUS_DECISION, decision_id, now,
                      related=_related(proposal),
                      data={"decision_type": proposal.decision_type.value, "agent_name": proposal.agent_name.value,
                            "autonomy_level": level.value, "action_taken": decision.action_taken,
                            "approval_required": approval.required,
                            "potential_revenue": decision.revenue_impact.potential})
        return True

    def _record_holdout(self, proposal: Proposal, now: datetime) -> Execution:
        family = holdout_agent_key(proposal.agent_name.value, proposal.trigger_type)
        decision_id = holdout_decision_id(self.salon_id, family, proposal.case_key)
        if self.repos.decisions.get(decision_id) is not None:
            return Execution(decision_id, Result.HOLDOUT, "already recorded")
        decision = self._decision_model(decision_id, proposal, AutonomyLevel.FULL_AUTO,
                                        DecisionApproval.not_required(), now, action_taken=HOLDOUT_ACTION,
                                        holdout=True)
        # A holdout case stays pending until we learn whether it happened anyway (gap booked, customer came).
        decision = decision.model_copy(update={"expires_at": None})
        batch = self.client.batch()
        self.repos.decisions.create(decision, batch)
        self.audit.append(audit.decision_made(self.salon_id, proposal.agent_name.value, decision_id,
                                              proposal.decision_type.value, AutonomyLevel.FULL_AUTO.value,
                                              HOLDOUT_ACTION, now, reason="random holdout: deliberately no action",
                                              case_key=proposal.case_key), transaction=batch)
        try:
            batch.commit()
        except gexc.AlreadyExists:
            return Execution(decision_id, Result.HOLDOUT, "already recorded")
        return Execution(decision_id, Result.HOLDOUT)

    def _resume(self, decision: AutonomousDecision, proposal: Proposal, now: datetime) -> Execution:
        approval = decision.approval.status
        if decision.outcome.status is not OutcomeStatus.PENDING:
            return Execution(decision.id, Result.ALREADY_DONE, decision.outcome.status.value)
        if approval is DecisionApprovalStatus.PENDING:
            return Execution(decision.id, Result.WAITING_FOR_APPROVAL)
        if approval in (DecisionApprovalStatus.REJECTED, DecisionApprovalStatus.EXPIRED):
            return Execution(decision.id, Result.REJECTED, approval.value)
        if decision.action_taken in ("outreach_initiated", "voice_call_placed", "recorded"):
            return Execution(decision.id, Result.ALREADY_DONE, decision.action_taken)
        return self.perform(decision.id, proposal, now)

    # ------------------------------------------------------------------ approvals
    def _request_approval(self, decision_id: str, proposal: Proposal, level: str, why: str,
                          now: datetime) -> Execution:
        approval_id = deterministic_id("apr", self.salon_id, decision_id)
        decision = self._decision_model(decision_id, proposal, AutonomyLevel(level),
                                        DecisionApproval.pending(approval_id), now)
        approval = Approval(
            id=approval_id,
            salon_id=self.salon_id,
            decision_id=decision_id,
            agent_name=proposal.agent_name.value,
            action_type=proposal.decision_type,
            action_summary=proposal.reason[:500],
            action_details=ApprovalActionDetails.model_validate({
                "gap_id": proposal.gap_id, "customer_id": proposal.customer_id,
                "customer_name": proposal.details.get("customer_name"),
                "staff_name": proposal.details.get("staff_name"), "time_slot": self._slot_text(proposal),
                "potential_revenue": max(0, round(proposal.potential_revenue)),
                "discount_percent": proposal.discount_percent, "autonomy_level": level, "autonomy_reason": why,
                "expected_value": proposal.expected_value,
            }),
            priority=self._priority(proposal, level, now),
            expires_at=approval_expires_at(now, decision.expires_at),
            created_at=now,
            updated_at=now,
        )
        batch = self.client.batch()
        self.repos.decisions.create(decision, batch)
        self.repos.approvals.create(approval, batch)
        self.audit.append(audit.decision_made(self.salon_id, proposal.agent_name.value, decision_id,
                                              proposal.decision_type.value, level, decision.action_taken, now,
                                              reason=proposal.reason), transaction=batch)
        self.audit.append(audit.approval_event(self.salon_id, audit.AuditEventType.APPROVAL_REQUESTED,
                                               proposal.agent_name.value, approval_id, decision_id, now,
                                               autonomy_level=level), transaction=batch)
        try:
            batch.commit()
        except gexc.AlreadyExists:
            existing = self.repos.decisions.get(decision_id)
            assert existing is not None
            return self._resume(existing, proposal, now)
        signals.decision_made(now=now, salon_id=self.salon_id, agent_name=proposal.agent_name.value,
                              decision_type=proposal.decision_type.value, decision_id=decision_id,
                              autonomy_level=level, approval_required=True)
        signals.approval_requested(now=now, salon_id=self.salon_id, agent_name=proposal.agent_name.value,
                                   approval_id=approval_id, decision_id=decision_id)
        related = {**_related(proposal), "decision_id": decision_id, "approval_id": approval_id}
        self._publish(EventType.AUTONOMOUS_DECISION, decision_id, now, related=related,
                      data={"decision_type": proposal.decision_type.value, "agent_name": proposal.agent_name.value,
                            "autonomy_level": level, "action_taken": decision.action_taken,
                            "approval_required": True, "potential_revenue": decision.revenue_impact.potential})
        self._publish(EventType.APPROVAL_REQUESTED, approval_id, now, related=related,
                      data={"decision_type": proposal.decision_type.value, "priority": approval.priority.value,
                            "expires_at": approval.expires_at.isoformat(), "summary": approval.action_summary})
        self.notify_approvers_once(approval_id, now)
        return Execution(decision_id, Result.APPROVAL_REQUESTED, why)

    def _slot_text(self, proposal: Proposal) -> str | None:
        if proposal.time_slot is None:
            return None
        zone = self.salon.zone
        start = proposal.time_slot.astimezone(zone)
        end = proposal.slot_end.astimezone(zone) if proposal.slot_end else None
        return f"{start:%-I:%M %p}" + (f" - {end:%-I:%M %p}" if end else "")

    @staticmethod
    def _priority(proposal: Proposal, level: str, now: datetime) -> ApprovalPriority:
        if proposal.time_slot is not None and proposal.time_slot - now <= timedelta(hours=3):
            return ApprovalPriority.URGENT if proposal.contacts_customer else ApprovalPriority.HIGH
        if level == AutonomyLevel.MANUAL_ONLY:
            return ApprovalPriority.HIGH
        return ApprovalPriority.MEDIUM if proposal.contacts_customer else ApprovalPriority.LOW

    def notify_approvers_once(self, approval_id: str, now: datetime) -> str:
        """Tell the approvers about a pending approval, once, whoever asks first: the executor as it requests
        the approval, or the `salon-events` consumer for an approval recorded elsewhere (the API) or one whose
        first notification was lost to a crash. Both go through one idempotency record."""
        approval = self.repos.approvals.get(approval_id)
        if approval is None:
            return "unknown_approval"
        if approval.status is not ApprovalStatus.PENDING or approval.expires_at <= now:
            return "answered"
        try:
            with IdempotencyStore(self.client, self.salon_id).guard(f"approval-notify:{approval_id}",
                                                                     approval_id) as run:
                if run.replayed:
                    return "already_notified"
                self._notify_approvers(approval, now)
                run.complete("notified")
        except IdempotencyInProgress:
            return "being_notified"  # the requesting process is sending right now
        return "notified"

    def _notify_approvers(self, approval: Approval, now: datetime) -> None:
        """WhatsApp the approvers (template `approval_request`) and push to the salon's approver topic."""
        sent_whatsapp = sent_push = False
        template = self.salon.template_for(MessageIntent.APPROVAL_REQUEST.value)
        code = approval.id[-6:]
        parts = MessageParts(first_name="", what=code, extra=approval.action_summary, salon=self.salon.name)
        for approver in self.salon.approvers:
            if "whatsapp" not in approver.channels or template is None:
                continue
            result = self.ports.messages.send_whatsapp(
                approver.phone, template=WhatsAppTemplate(template, parts.variables()),
                body=render(MessageIntent.APPROVAL_REQUEST, parts), last_inbound_at=None, now=now,
                status_callback=self.ports.status_callback_for(self.salon_id))
            sent_whatsapp = sent_whatsapp or result.outcome.was_accepted
        if self.ports.push is not None:
            note = PushNotification(title=f"Approve? {approval.action_type.value.replace('_', ' ')}",
                                    body=approval.action_summary, data={"approval_id": approval.id},
                                    urgent=approval.priority in (ApprovalPriority.URGENT, ApprovalPriority.HIGH))
            sent_push = self.ports.push.send_to_topic(f"salon_{self.salon_id}_approvers", note).kind == "sent"
        if sent_whatsapp or sent_push:
            self.repos.approvals.update(approval.id, {"notifications_sent.whatsapp": sent_whatsapp,
                                                      "notifications_sent.push": sent_push, "updated_at": now})

    # ------------------------------------------------------------------ performing
    def perform(self, decision_id: str, proposal: Proposal, now: datetime) -> Execution:
        if proposal.time_slot is not None and proposal.time_slot <= now:
            self._finish(decision_id, now, OutcomeStatus.EXPIRED, "slot_already_started")
            return Execution(decision_id, Result.SLOT_GONE, "slot already started")
        if (proposal.valid_until is not None and proposal.time_slot is not None
                and proposal.valid_until < now + MIN_ANSWER_WINDOW):
            # Approved (or resumed) late: give the customer a fair window to answer, never past the slot.
            proposal = replace(proposal, valid_until=min(now + OFFER_WINDOW, proposal.time_slot))
        if not proposal.contacts_customer:
            self._finish(decision_id, now, OutcomeStatus.SUCCESS, "approved_for_owner_to_apply",
                         action_taken="recorded")
            return Execution(decision_id, Result.RECORDED)
        if proposal.channel == "voice":
            return self._call(decision_id, proposal, now)
        return self._message(decision_id, proposal, now)

    def _message(self, decision_id: str, proposal: Proposal, now: datetime) -> Execution:
        assert proposal.customer_id is not None and proposal.intent is not None
        customer = self.repos.customers.get(proposal.customer_id)
        if customer is None:
            self._finish(decision_id, now, OutcomeStatus.FAILED, "customer_not_found")
            return Execution(decision_id, Result.FAILED, "customer_not_found")
        out_id = outreach_id_for(self.salon_id, proposal)
        category = proposal.category or proposal.intent.category
        contact = Contact(customer.id, Channel.WHATSAPP, MessageCategory(category), out_id)
        body, variables = self._text(proposal, customer, now)
        gap_ref = self.repos.gaps.ref(proposal.gap_id) if proposal.gap_id else None
        waitlist_id = proposal.details.get("waitlist_id")
        waitlist_ref = self.repos.waitlist.ref(waitlist_id) if waitlist_id else None
        settings = self.settings

        def attempt(transaction: Any) -> Any:
            gap = gap_ref.get(transaction=transaction).to_dict() if gap_ref is not None else None
            if gap_ref is not None and (gap is None or gap.get("status") != "open"):
                return "slot_gone"
            result = self.governor.check_and_reserve(transaction, agent_name=proposal.agent_name.value,
                                                     settings=settings, now=now, contact=contact)
            if not isinstance(result, Allowed):
                return result
            transaction.create(self.repos.outreach.ref(out_id),
                               self._outreach(out_id, decision_id, proposal, customer, body, variables,
                                              now).to_firestore())
            transaction.update(self._decision_ref(decision_id),
                               {"action_taken": "outreach_initiated", "updated_at": now,
                                "outcome.result": None})
            if gap_ref is not None and gap is not None:
                wave = int(proposal.details.get("wave") or 1)
                transaction.update(gap_ref, {"fill_attempts": max(int(gap.get("fill_attempts") or 0), wave),
                                             "last_attempt_at": now, "updated_at": now})
            if waitlist_ref is not None:
                transaction.update(waitlist_ref, {"status": "offered", "offered_at": now, "updated_at": now})
            return result

        result = run_transaction(self.client, attempt)
        log_breaker_trial(result, now)
        if result == "slot_gone":
            self._finish(decision_id, now, OutcomeStatus.EXPIRED, "slot_no_longer_open")
            return Execution(decision_id, Result.SLOT_GONE)
        if isinstance(result, Deferred):
            return self._defer(decision_id, result, now)
        if isinstance(result, Suppressed):
            if result.reason == "duplicate":
                return Execution(decision_id, Result.ALREADY_DONE, "outreach exists", out_id)
            self._finish(decision_id, now, OutcomeStatus.FAILED, f"suppressed:{result.reason}")
            return Execution(decision_id, Result.SUPPRESSED, result.reason)
        assert isinstance(result, Allowed)
        return self._send(decision_id, proposal, customer, out_id, body, variables, result, now)

    def _text(self, proposal: Proposal, customer: Customer, now: datetime) -> tuple[str, dict[str, str]]:
        zone = self.salon.zone
        extra = f"{proposal.discount_percent}% off" if proposal.discount_percent else ""
        parts = MessageParts(
            first_name=customer.name.split()[0],
            when=when_text(proposal.time_slot, zone, now) if proposal.time_slot else "",
            what=str(proposal.details.get("service_name") or ""),
            staff=str(proposal.details.get("staff_name") or "").split(" ")[0],
            extra=extra,
            salon=self.salon.name,
        )
        assert proposal.intent is not None
        return render(proposal.intent, parts, customer.language), parts.variables()

    def _outreach(self, out_id: str, decision_id: str, proposal: Proposal, customer: Customer, body: str,
                  variables: dict[str, str], now: datetime) -> Outreach:
        assert proposal.intent is not None and proposal.outreach_type is not None
        offer = None
        if proposal.discount_percent or proposal.valid_until:
            offer = OfferDetails(discount_percent=proposal.discount_percent, valid_until=proposal.valid_until)
        return Outreach(
            id=out_id, salon_id=self.salon_id, customer_id=customer.id, customer_name=customer.name,
            customer_phone=customer.phone, outreach_type=proposal.outreach_type, channel=Channel.WHATSAPP,
            message=body, trigger_id=proposal.trigger_id,
            trigger_type="gap" if proposal.trigger_type == "schedule_gap" else proposal.trigger_type,
            offer_details=offer, expires_at=proposal.valid_until, attempts=1, last_attempt_at=now,
            delivery=OutreachDelivery(send_started_at=now), created_at=now, updated_at=now,
            decision_id=decision_id, agent_name=proposal.agent_name.value, intent=proposal.intent.value,
            category=proposal.category,
            content_sid=self.salon.template_for(proposal.intent.value), content_variables=variables,
        )

    def _send(self, decision_id: str, proposal: Proposal, customer: Customer, out_id: str, body: str,
              variables: dict[str, str], allowed: Allowed, now: datetime) -> Execution:
        assert proposal.intent is not None
        sid = self.salon.template_for(proposal.intent.value)
        try:
            sent = self.ports.messages.send_whatsapp(
                customer.phone, template=WhatsAppTemplate(sid, variables) if sid else None, body=body,
                last_inbound_at=customer.last_inbound_message_at, now=now,
                status_callback=self.ports.status_callback_for(self.salon_id, out_id))
        except Exception as error:  # the provider call itself blew up: outcome unknown, reconcile later
            self.breakers.record(proposal.agent_name.value, outcome_for(succeeded=False, counts_for_breaker=True),
                                 now, error=type(error).__name__)
            self.repos.outreach.update(out_id, {"delivery.error": f"send raised {type(error).__name__}",
                                                "updated_at": now})
            return Execution(decision_id, Result.FAILED, "send_raised_reconcile", out_id)
        kind = sent.outcome.kind
        self.breakers.record(proposal.agent_name.value,
                             outcome_for(succeeded=sent.outcome.was_accepted,
                                         counts_for_breaker=sent.counts_for_breaker),
                             now, error=sent.outcome.reason or (str(sent.error_code) if sent.error_code else None))
        self.audit.append(audit.external_call(self.salon_id, proposal.agent_name.value, "twilio", "messages.create",
                                              "outreach", out_id, now, kind.value,
                                              failed=kind not in (OutcomeKind.SENT, OutcomeKind.SUPPRESSED),
                                              message_sid=sent.sid, error_code=sent.error_code))
        if kind is OutcomeKind.SENT:
            OutreachStatusStore(self.client, self.salon_id).record_send(out_id, sent.sid, sent.status, now)
            self._publish(EventType.OUTREACH_SENT, out_id, now,
                          related={**_related(proposal), "decision_id": decision_id},
                          data={"channel": "whatsapp", "outreach_type": proposal.outreach_type.value
                                if proposal.outreach_type else None, "message_sid": sent.sid})
            return Execution(decision_id, Result.SENT, None, out_id)
        if kind is OutcomeKind.UNKNOWN_RECONCILE:
            # Maybe sent, maybe not: the reconciler asks Twilio before anything is resent. Budget stays held.
            self.repos.outreach.update(out_id, {"delivery.error": sent.error_message or "unknown outcome",
                                                "updated_at": now})
            return Execution(decision_id, Result.FAILED, "unknown_outcome_reconcile", out_id)
        # Nothing was sent: give the budget back and close the record.
        self.governor.release(allowed.reservation, now)
        reason = sent.outcome.reason or kind.value
        self.repos.outreach.update(out_id, {"status": OutreachStatus.FAILED, "suppression_reason": reason,
                                            "delivery.error": sent.error_message or reason,
                                            "delivery.error_code": sent.error_code, "updated_at": now})
        if kind is OutcomeKind.ALERT_PAUSE_SALON:
            self.repos.salon.update({"outreach_paused_at": now, "outreach_paused_reason": reason})
        signals.outreach_delivery(now=now, salon_id=self.salon_id, agent_name=proposal.agent_name.value,
                                  outreach_id=out_id, delivered=False, result="send_failed", error=reason)
        self._finish(decision_id, now, OutcomeStatus.FAILED, f"send_{kind.value}:{reason}")
        return Execution(decision_id, Result.FAILED, reason, out_id)

    def _call(self, decision_id: str, proposal: Proposal, now: datetime) -> Execution:
        """A confirmation call: consent and quiet hours checked here (calls have no outreach channel)."""
        assert proposal.customer_id is not None
        customer = self.repos.customers.get(proposal.customer_id)
        if customer is None or not customer.can_contact("voice", MessageCategory.SERVICE):
            self._finish(decision_id, now, OutcomeStatus.FAILED, "suppressed:no_consent:voice:service")
            return Execution(decision_id, Result.SUPPRESSED, "no_consent:voice:service")
        opens = next_allowed_time(now, MessageCategory.SERVICE, self.settings.quiet_hours)
        if opens != now:
            return self._defer(decision_id, Deferred(opens, "quiet_hours:service"), now)
        result = self.governor.reserve(agent_name=proposal.agent_name.value, settings=self.settings, now=now,
                                       action_key=f"call:{decision_id}")
        if isinstance(result, Deferred):
            return self._defer(decision_id, result, now)
        if isinstance(result, Suppressed):
            self._finish(decision_id, now, OutcomeStatus.FAILED, f"suppressed:{result.reason}")
            return Execution(decision_id, Result.SUPPRESSED, result.reason)
        # Claim the call on the decision first, so a concurrent replay cannot dial twice.
        try:
            self.repos.decisions.update(decision_id, {"action_taken": "voice_call_placed", "updated_at": now},
                                        last_update_time=self._decision_ref(decision_id).get().update_time)
        except (gexc.FailedPrecondition, gexc.Aborted):
            return Execution(decision_id, Result.ALREADY_DONE, "call claimed elsewhere")
        call = self.ports.messages.start_call(customer.phone,
                                              status_callback=self.ports.status_callback_for(self.salon_id),
                                              twiml_url=self.ports.voice_url_for(self.salon_id, decision_id))
        self.breakers.record(proposal.agent_name.value,
                             outcome_for(succeeded=call.outcome.was_accepted, counts_for_breaker=call.counts_for_breaker),
                             now, error=call.outcome.reason)
        self.audit.append(audit.external_call(self.salon_id, proposal.agent_name.value, "twilio", "calls.create",
                                              "decision", decision_id, now, call.outcome.kind.value,
                                              failed=not call.outcome.was_accepted, call_sid=call.sid,
                                              fill_shortlist=list(proposal.details.get("fill_shortlist") or [])))
        if not call.outcome.was_accepted:
            self.governor.release(result.reservation, now)
            self._finish(decision_id, now, OutcomeStatus.FAILED, f"call_{call.outcome.kind.value}")
            return Execution(decision_id, Result.FAILED, call.outcome.reason)
        return Execution(decision_id, Result.CALLED, call.sid)

    def _defer(self, decision_id: str, deferred: Deferred, now: datetime) -> Execution:
        until = deferred.until
        # Without a time only a person can unblock it (breaker without auto-recovery, paused salon).
        result = (f"{DEFERRED_PREFIX}{_utc_stamp(until)}: {deferred.reason}" if until
                  else f"deferred: {deferred.reason}")
        self.repos.decisions.update(decision_id, {"outcome.result": result, "updated_at": now})
        if self.ports.tasks is not None and until is not None:
            self.ports.tasks.enqueue("autonomous-agents", self.ports.execute_path,
                                     {"kind": "perform_decision", "salon_id": self.salon_id,
                                      "decision_id": decision_id},
                                     # `now` in the name: a re-deferral from inside the running task
                                     # must not collide with that task's own (still reserved) name.
                                     dedupe_key=f"{decision_id}:{until.isoformat()}:{now.isoformat()}",
                                     schedule_time=until)
        return Execution(decision_id, Result.DEFERRED, deferred.reason, until=until)

    def _finish(self, decision_id: str, now: datetime, status: OutcomeStatus, result: str,
                action_taken: str | None = None) -> None:
        """Close the outcome if it is still pending (a concurrent replay that closed it first wins, and only
        one of them logs it)."""
        changes: dict[str, Any] = {"outcome.status": status.value, "outcome.result": result,
                                   "outcome.completed_at": now, "updated_at": now}
        if action_taken:
            changes["action_taken"] = action_taken
        close_outcome(self.client, self.salon_id, decision_id, changes, now)

    # ------------------------------------------------------------------ events
    def _publish(self, event_type: EventType, resource_id: str, now: datetime, *,
                 related: Mapping[str, str] | None = None, data: Mapping[str, Any] | None = None,
                 change_key: str = "") -> None:
        event = SalonEvent.create(event_type, salon_id=self.salon_id, resource_id=resource_id, occurred_at=now,
                                  related={k: v for k, v in (related or {}).items() if v},
                                  data=dict(data or {}), change_key=change_key)
        self.ports.events.publish(event)


def _utc_stamp(moment: datetime) -> str:
    """Fixed-width UTC, so that these strings sort in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _related(proposal: Proposal) -> dict[str, str]:
    pairs = (("customer_id", proposal.customer_id), ("staff_id", proposal.staff_id),
             ("gap_id", proposal.gap_id), ("booking_id", proposal.booking_id))
    return {k: v for k, v in pairs if v}
