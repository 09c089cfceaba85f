"""Governance: every agent action passes through here before it touches a customer.

Pure policies (no I/O, time always passed in):
  autonomy            decide_autonomy(type, salon_levels, discount) -> approval needed? auto-executable?
  quiet_hours         next_allowed_time(now, category, QuietHours) -> now or the next window opening
  consent             ConsentState.allows(channel, category); parse_consent_command(text) for STOP/START
  rate_limits         counters and the customer's sliding window; resolve_limits(...)
  circuit_breaker     admit / on_success / on_failure / manual_reset over agent_states.circuit_breaker
  audit               AuditEntry builders with the spec's fields
  idempotency         Powertools-style record rules (IN_PROGRESS lease -> COMPLETED result)
  lifecycles          decision, approval (15-min expiry), gap state machines
  outreach_lifecycle  monotonic status merge, Twilio status map, reconciliation, outreach_id(...)
  gate                evaluate(GateInputs) -> Allowed | Deferred | Suppressed

Firestore stores (``salonflow.adapters.firestore.governance_*``), each built with
``(client, salon_id)`` and unable to leave that salon:
  Governor (gate), BreakerStore, AuditLogWriter, IdempotencyStore (+ ``idempotent``),
  ConsentStore, OutreachStatusStore; ``run_transaction`` for contention-proof transactions.

How the executor uses it (one action that messages a customer)::

    autonomy = decide_autonomy(decision_type, settings.autonomy_levels, discount_percent)
    if autonomy.approval_required: ... create the approval instead; come back when approved ...

    contact = Contact(customer_id, Channel.WHATSAPP, MessageCategory.MARKETING,
                      outreach_id(salon_id, customer_id, "gap_fill:" + gap_id, slot_iso))

    def reserve(transaction):
        result = governor.check_and_reserve(transaction, agent_name=agent, settings=settings,
                                            now=now, contact=contact)
        if isinstance(result, Allowed):
            transaction.create(outreach_ref(result.outreach_id), outreach_doc)   # the outbox row
            audit_writer.append(audit.decision_made(...), transaction=transaction)
        return result

    result = run_transaction(client, reserve)
    match result:
        case Allowed():    send outside the transaction; record the SID;
                           breakers.record(agent, outcome_for(...), now, seen=...);
                           nothing sent (e.g. suppressed by the provider)? governor.release(result.reservation, now)
        case Deferred():   enqueue the same action for result.until (None: wait for a manual reset)
        case Suppressed(): record the reason on the decision; do not retry

Replaying the whole thing is safe: the outreach id is deterministic, so a replay finds the
outreach and gets ``Suppressed("duplicate")`` without consuming budget.
"""

from salonflow.governance.autonomy import AutonomyDecision, decide_autonomy
from salonflow.governance.gate import (
    Allowed,
    Contact,
    Deferred,
    GateResult,
    GovernanceSettings,
    Reservation,
    Suppressed,
)
from salonflow.governance.outreach_lifecycle import outreach_id
from salonflow.governance.types import AutonomyLevel, Channel, DecisionType, MessageCategory

__all__ = [
    "Allowed",
    "AutonomyDecision",
    "AutonomyLevel",
    "Channel",
    "Contact",
    "DecisionType",
    "Deferred",
    "GateResult",
    "GovernanceSettings",
    "MessageCategory",
    "Reservation",
    "Suppressed",
    "decide_autonomy",
    "outreach_id",
]
