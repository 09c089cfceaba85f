"""Circuit-breaker state in ``salons/{salon_id}/agent_states/{agent_name}.circuit_breaker``.

Every transition runs in a transaction (read the agent state, apply the pure transition,
write only if it changed), so concurrent failures from many instances are counted exactly
and exactly one caller performs each transition.

Cost per reported outcome:
  success on a healthy breaker: 0 reads/0 writes when the caller passes the state it saw at
      admission (``seen``), else 1 read / 0 writes
  success that resets a non-zero count, or closes a half-open breaker: 1 read + 1 write
  infrastructure failure: 1 read + 1 write (none while already open)
  not-counted outcome: nothing
Admission (open -> half_open trial) is part of ``Governor.check_and_reserve``'s transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.domain.agent_state import AgentState
from salonflow.governance import audit
from salonflow.governance.circuit_breaker import (
    BreakerConfig,
    BreakerState,
    BreakerStateName,
    CallOutcome,
    agent_status_after,
    apply_outcome,
    breaker_config_for,
    manual_reset,
)
from salonflow.observability import signals

AGENT_STATES = "agent_states"


class BreakerStore:
    def __init__(
        self,
        client: firestore.Client,
        salon_id: str,
        config: BreakerConfig | None = None,
        timezone: str = "Asia/Kolkata",
    ) -> None:
        self._client = client
        self.salon_id = salon_id
        self.config = config or BreakerConfig()
        self._timezone = timezone
        self._agents = client.collection("salons", salon_id, AGENT_STATES)
        self._audit = AuditLogWriter(client, salon_id)

    def state(self, agent_name: str) -> BreakerState:
        snap = self._agents.document(agent_name).get()
        data = (snap.to_dict() or {}) if snap.exists else {}
        return BreakerState.from_firestore(data.get("circuit_breaker"), self.config.auto_recovery)

    def record(
        self,
        agent_name: str,
        outcome: CallOutcome,
        now: datetime,
        *,
        error: str | None = None,
        seen: BreakerState | None = None,
    ) -> BreakerState | None:
        """Report the outcome of one guarded call. Returns the new state if one was written."""
        if outcome is CallOutcome.NOT_COUNTED:
            return None
        if (
            outcome is CallOutcome.SUCCESS
            and seen is not None
            and seen.state is BreakerStateName.CLOSED
            and seen.error_count == 0
        ):
            # Nothing to reset as far as we know. If a failure slipped in meanwhile, it
            # stays counted: the breaker errs toward opening, never toward staying closed.
            return None
        ref = self._agents.document(agent_name)
        before: list[BreakerStateName] = []

        def transition(transaction: Any) -> BreakerState | None:
            snap = ref.get(transaction=transaction)
            data = (snap.to_dict() or {}) if snap.exists else {}
            current = BreakerState.from_firestore(data.get("circuit_breaker"), self.config.auto_recovery)
            config = breaker_config_for(_mapping(data.get("config")), self.config)
            new = apply_outcome(current, outcome, now, config, error)
            if new is None:
                return None
            before[:] = [current.state]
            self._stage(transaction, ref, agent_name, snap.exists, data, current, new, now)
            return new

        written = run_transaction(self._client, transition)
        if written is not None and before and before[0] is not written.state:
            signals.breaker_state(now=now, salon_id=self.salon_id, agent_name=agent_name,
                                  state=written.state.value, previous=before[0].value, error=error)
        return written

    def reset(self, agent_name: str, actor: str, now: datetime, reason: str | None = None) -> BreakerState:
        """Manual reset (the PWA's reset-circuit-breaker): close it and audit who did it."""
        ref = self._agents.document(agent_name)
        previous: list[str] = []

        def do_reset(transaction: Any) -> BreakerState:
            snap = ref.get(transaction=transaction)
            data = (snap.to_dict() or {}) if snap.exists else {}
            current = BreakerState.from_firestore(data.get("circuit_breaker"), self.config.auto_recovery)
            previous[:] = [current.state.value]
            new = manual_reset(current)
            self._stage(transaction, ref, agent_name, snap.exists, data, current, new, now)
            self._audit.append(
                audit.manual_override(
                    self.salon_id,
                    actor,
                    "Reset circuit breaker",
                    "agent_state",
                    agent_name,
                    now,
                    reason=reason,
                    previous_state=current.state.value,
                    previous_error_count=current.error_count,
                ),
                transaction=transaction,
            )
            return new

        reset = run_transaction(self._client, do_reset)
        signals.breaker_state(now=now, salon_id=self.salon_id, agent_name=agent_name, state=reset.state.value,
                              previous=previous[0] if previous else None, manual=True, actor=actor)
        return reset

    def _stage(
        self,
        transaction: Any,
        ref: Any,
        agent_name: str,
        exists: bool,
        data: dict[str, Any],
        current: BreakerState,
        new: BreakerState,
        now: datetime,
    ) -> None:
        update: dict[str, Any] = {"circuit_breaker": new.to_firestore(), "updated_at": now}
        if new.state is not current.state:
            status = agent_status_after(data.get("status"), new)
            if status is not None:
                update["status"] = status
        if exists:
            transaction.update(ref, update)
            return
        # First report for this agent: write a whole, valid agent state, not a fragment.
        today = now.astimezone(ZoneInfo(self._timezone)).date()
        document = AgentState.initial(self.salon_id, agent_name, now, today).to_firestore()
        document.update(update)
        transaction.create(ref, document)


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}
