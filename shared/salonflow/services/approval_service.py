"""Owner decisions on approvals: approve -> the decision is performed exactly once; reject -> rejected.

Both the API (`/autonomous/approvals/{id}/action`) and the Firestore trigger on a PWA-written approval end here.
The response is applied in one transaction over the approval and its decision (governance's
`respond_to_approval` decides the transition; a late answer expires the approval instead). Performing after an
approval goes through the executor, whose deterministic outreach id makes a duplicate trigger harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.domain.enums import ApprovalStatus, DecisionApprovalStatus, OutcomeStatus
from salonflow.governance import audit
from salonflow.governance.lifecycles import respond_to_approval
from salonflow.observability import signals
from salonflow.services.autonomy import record_owner_verdict
from salonflow.services.executor import Execution, Executor
from salonflow.services.ports import ServicePorts


@dataclass(frozen=True)
class ApprovalResult:
    approval_id: str
    status: ApprovalStatus
    changed: bool
    execution: Execution | None = None


class ApprovalService:
    def __init__(self, client: firestore.Client, salon_id: str, ports: ServicePorts) -> None:
        self.client = client
        self.salon_id = salon_id
        self.ports = ports
        self.repos = SalonRepositories(client, salon_id)
        self.audit = AuditLogWriter(client, salon_id)

    def respond(self, approval_id: str, action: str, responded_by: str, now: datetime,
                notes: str | None = None) -> ApprovalResult:
        approval_ref = self.repos.approvals.ref(approval_id)
        seen: dict[str, Any] = {}

        def apply(transaction: Any) -> tuple[ApprovalStatus, bool, str]:
            snap = approval_ref.get(transaction=transaction)
            if not snap.exists:
                raise LookupError(f"approval {approval_id} not found")
            data = snap.to_dict() or {}
            seen.update(data)
            decision_ref = self.repos.decisions.ref(str(data["decision_id"]))
            answer = respond_to_approval(ApprovalStatus(data["status"]), data["expires_at"], action,
                                         responded_by, now, notes)
            if not answer.changed:
                return answer.status, False, decision_ref.id
            update: dict[str, Any] = {"status": answer.status.value, "updated_at": now}
            if answer.response:
                update["response"] = answer.response
            transaction.update(approval_ref, update)
            self._mirror_on_decision(transaction, decision_ref, answer.status, responded_by, now)
            entry = (audit.approval_expired(self.salon_id, approval_id, decision_ref.id, data["expires_at"], now)
                     if answer.status is ApprovalStatus.EXPIRED else
                     audit.approval_event(self.salon_id, audit.AuditEventType.APPROVAL_GRANTED
                                          if answer.status is ApprovalStatus.APPROVED
                                          else audit.AuditEventType.APPROVAL_REJECTED,
                                          responded_by, approval_id, decision_ref.id, now, notes))
            self.audit.append(entry, transaction=transaction)
            return answer.status, True, decision_ref.id

        status, changed, decision_id = run_transaction(self.client, apply)
        if changed:
            self._announce(approval_id, decision_id, status, responded_by, now, notes)
            self._log_answer(approval_id, decision_id, seen, status, now)
        # Also on an unchanged (repeated) answer: the verdict is keyed by the approval, and a crash between the
        # answer and this line must not lose it.
        record_owner_verdict(self.client, self.salon_id, approval_id, str(seen["action_type"]), status, now)
        execution = None
        if status is ApprovalStatus.APPROVED:
            # Also on an unchanged (repeated) approve: performing is idempotent and finishes a crashed first run.
            execution = Executor(self.client, self.salon_id, self.ports).perform_decision(decision_id, now)
        return ApprovalResult(approval_id, status, changed, execution)

    def sync_from_document(self, approval_id: str, now: datetime) -> ApprovalResult:
        """For the Firestore trigger: the PWA set status/response on the approval; bring the decision along."""
        approval = self.repos.approvals.get(approval_id)
        if approval is None:
            raise LookupError(approval_id)
        decision = self.repos.decisions.get(approval.decision_id)
        if decision is None:
            raise LookupError(approval.decision_id)
        target = {ApprovalStatus.APPROVED: DecisionApprovalStatus.APPROVED,
                  ApprovalStatus.REJECTED: DecisionApprovalStatus.REJECTED}.get(approval.status)
        if target is None:
            return ApprovalResult(approval_id, approval.status, False)
        responder = approval.response.responded_by or "owner"
        decision_ref = self.repos.decisions.ref(decision.id)

        def mirror(transaction: Any) -> bool:
            # Read in the transaction: a repeated trigger (or the API answering too) mirrors, audits and logs once.
            stored = decision_ref.get(transaction=transaction).to_dict() or {}
            if (stored.get("approval") or {}).get("status") != DecisionApprovalStatus.PENDING.value:
                return False
            self._mirror_on_decision(transaction, decision_ref, approval.status, responder, now)
            self.audit.append(audit.approval_event(
                self.salon_id, audit.AuditEventType.APPROVAL_GRANTED if target is DecisionApprovalStatus.APPROVED
                else audit.AuditEventType.APPROVAL_REJECTED, responder, approval_id, decision.id, now,
                approval.response.notes), transaction=transaction)
            return True

        changed = decision.approval.status is DecisionApprovalStatus.PENDING and run_transaction(self.client, mirror)
        if changed:
            self._announce(approval_id, decision.id, approval.status, responder, now, approval.response.notes)
            self._log_answer(approval_id, decision.id, approval.to_firestore(), approval.status, now,
                             answered_at=approval.response.responded_at)
        record_owner_verdict(self.client, self.salon_id, approval_id, approval.action_type.value, approval.status,
                             now)
        execution = None
        if approval.status is ApprovalStatus.APPROVED:
            execution = Executor(self.client, self.salon_id, self.ports).perform_decision(decision.id, now)
        return ApprovalResult(approval_id, approval.status, changed, execution)

    def _log_answer(self, approval_id: str, decision_id: str, approval: dict[str, Any], status: ApprovalStatus,
                    now: datetime, answered_at: datetime | None = None) -> None:
        """An answer is a response time; a late answer that expired the approval only leaves the backlog."""
        agent_name = str(approval.get("agent_name") or "")
        if status is ApprovalStatus.EXPIRED:
            signals.approval_closed(now=now, salon_id=self.salon_id, agent_name=agent_name, approval_id=approval_id,
                                    decision_id=decision_id, status=status.value)
            return
        signals.approval_answered(now=now, salon_id=self.salon_id, agent_name=agent_name, approval_id=approval_id,
                                  decision_id=decision_id, status=status.value,
                                  requested_at=approval.get("created_at"), answered_at=answered_at)

    @staticmethod
    def _mirror_on_decision(writer: Any, decision_ref: Any, status: ApprovalStatus, responded_by: str,
                            now: datetime) -> None:
        if status is ApprovalStatus.APPROVED:
            writer.update(decision_ref, {"approval.status": DecisionApprovalStatus.APPROVED.value,
                                         "approval.approved_by": responded_by, "approval.approved_at": now,
                                         "updated_at": now})
            return
        decision_status = (DecisionApprovalStatus.EXPIRED if status is ApprovalStatus.EXPIRED
                           else DecisionApprovalStatus.REJECTED)
        outcome = OutcomeStatus.EXPIRED if status is ApprovalStatus.EXPIRED else OutcomeStatus.REJECTED
        writer.update(decision_ref, {"approval.status": decision_status.value, "outcome.status": outcome.value,
                                     "outcome.result": f"approval_{status.value}", "outcome.completed_at": now,
                                     "updated_at": now})

    def _announce(self, approval_id: str, decision_id: str, status: ApprovalStatus, responded_by: str,
                  now: datetime, notes: str | None) -> None:
        kind = {ApprovalStatus.APPROVED: EventType.APPROVAL_APPROVED, ApprovalStatus.REJECTED:
                EventType.APPROVAL_REJECTED, ApprovalStatus.EXPIRED: EventType.APPROVAL_EXPIRED}.get(status)
        if kind is None:
            return
        data: dict[str, Any] = {"responded_by": responded_by, "responded_at": now.isoformat(), "notes": notes}
        self.ports.events.publish(SalonEvent.create(kind, salon_id=self.salon_id, resource_id=approval_id,
                                                    occurred_at=now, related={"decision_id": decision_id},
                                                    data=data))
