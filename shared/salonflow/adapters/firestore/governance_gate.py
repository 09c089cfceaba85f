"""The Firestore-backed governor: check an action and reserve its budget in the caller's transaction.

Documents (all under ``salons/{salon_id}/``):
  agent_states/{agent_name}                  config, status, circuit_breaker (read; written on breaker transition)
  rate_limit_windows/{owner}                 {owner, scope, stamps: [{reservation_id, at, agent_name}], expire_at}
                                             owner = ``salon`` (the budget of all agents) or the agent's name
  customer_contact_windows/{customer_id}     {sends: [{reservation_id, at}], expire_at}
  customers/{customer_id}                    ``consent`` map (read only)
  outreach/{outreach_id}                     existence check only (the caller creates it)

Cost of ``check_and_reserve`` (one batched read RPC):
  reads: 1 agent_state + salon window + agent window
         + for a customer contact: customer + contact window + outreach = 6
  writes when Allowed: 2 windows + 1 contact window (+1 breaker on a half-open trial) = 3,
         plus the caller's own outreach create
  writes when Deferred/Suppressed: 0
``release``: the same window reads (2-3) and as many writes, once per failed action.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.governance_transactions import DEFAULT_DEADLINE_S, run_transaction
from salonflow.governance.circuit_breaker import BreakerState, breaker_config_for
from salonflow.governance.consent import consent_from_firestore
from salonflow.governance.gate import (
    Allowed,
    Contact,
    GateInputs,
    GateResult,
    GovernanceSettings,
    Reservation,
    evaluate,
)
from salonflow.governance.rate_limits import (
    DAY,
    Budget,
    Limits,
    RollingWindow,
    Stamp,
    rate_limits_view,
    resolve_limits,
)
from salonflow.observability import signals

AGENT_STATES = "agent_states"
WINDOWS = "rate_limit_windows"
CONTACT_WINDOWS = "customer_contact_windows"
CUSTOMERS = "customers"
OUTREACH = "outreach"
SALON_OWNER = "salon"  # never an agent's name (they all end in "_agent"); "__...__" ids are reserved
WINDOW_TTL = timedelta(days=2)


def reservation_id_for(agent_name: str, outreach_id: str | None, action_key: str | None) -> str:
    """Deterministic when the action is (an outreach id or the caller's action key): replays reuse it."""
    basis = outreach_id or action_key
    if not basis:
        raise ValueError("a reservation needs an outreach id or an action key")
    return "rsv_" + hashlib.sha256(f"{agent_name}\x1f{basis}".encode()).hexdigest()[:24]


def log_breaker_trial(result: object, now: datetime) -> None:
    """After the commit of a transaction that ran ``check_and_reserve``: log the open -> half_open move its
    admission wrote (the breaker's one trial). Only the transaction that committed returns its result, so a
    retried attempt logs nothing twice."""
    if isinstance(result, Allowed) and result.breaker_trial:
        signals.breaker_state(now=now, salon_id=result.reservation.salon_id,
                              agent_name=result.reservation.agent_name, state="half_open", previous="open",
                              trial=True)


class Governor:
    """Salon-scoped gate. Construct per salon; cheap (no I/O in the constructor)."""

    def __init__(self, client: firestore.Client, salon_id: str) -> None:
        self._client = client
        self.salon_id = salon_id
        self._salon = client.collection("salons").document(salon_id)

    # ------------------------------------------------------------------ refs
    def _agent_ref(self, agent_name: str) -> Any:
        return self._salon.collection(AGENT_STATES).document(agent_name)

    def _budget_ref(self, owner: str) -> Any:
        return self._salon.collection(WINDOWS).document(owner)

    def _window_ref(self, customer_id: str) -> Any:
        return self._salon.collection(CONTACT_WINDOWS).document(customer_id)

    # ------------------------------------------------------------------ gate
    def check_and_reserve(
        self,
        transaction: Any,
        *,
        agent_name: str,
        settings: GovernanceSettings,
        now: datetime,
        contact: Contact | None = None,
        action_key: str | None = None,
    ) -> GateResult:
        """Decide and, if allowed, stage the reservation writes on ``transaction``.

        Call it after your own transactional reads and before your writes (Firestore
        transactions read first). On ``Allowed`` create the outreach document with
        ``result.outreach_id`` in the same transaction; commit; then send.
        """
        outreach_id = contact.outreach_id if contact else None
        reservation_id = reservation_id_for(agent_name, outreach_id, action_key)
        owners = (SALON_OWNER, agent_name)
        refs: dict[str, Any] = {"agent": self._agent_ref(agent_name)}
        for owner in owners:
            refs[owner] = self._budget_ref(owner)
        if contact is not None:
            refs["customer"] = self._salon.collection(CUSTOMERS).document(contact.customer_id)
            refs["window"] = self._window_ref(contact.customer_id)
            refs["outreach"] = self._salon.collection(OUTREACH).document(contact.outreach_id)

        snaps = _get_all(transaction, list(refs.values()))
        data = {name: snaps.get(ref.path) for name, ref in refs.items()}

        agent = data["agent"] or {}
        config = agent.get("config") if isinstance(agent.get("config"), Mapping) else {}
        limits = resolve_limits(config, settings.rate_limits, agent_name)
        budgets = tuple(_budget(owner, limits, data[owner]) for owner in owners)
        breaker = BreakerState.from_firestore(agent.get("circuit_breaker"), settings.breaker.auto_recovery)
        breaker_config = breaker_config_for(config, settings.breaker)
        window = _window(data.get("window")) if contact else None

        verdict, writes = evaluate(
            GateInputs(
                now=now,
                settings=settings,
                limits=limits,
                agent_status=agent.get("status"),
                breaker=breaker,
                budgets=budgets,
                reservation_id=reservation_id,
                contact=contact,
                consent=consent_from_firestore((data.get("customer") or {}).get("consent"))
                if contact
                else None,
                customer_window=window,
                outreach_exists=data.get("outreach") is not None,
                breaker_config=breaker_config,
            )
        )
        if verdict is not None:
            return verdict

        for budget in budgets:
            if budget.window.holds(reservation_id):
                continue  # a replay of a reservation already held: count it once
            kept = budget.window.with_stamp(Stamp(reservation_id, now), now)
            transaction.set(refs[budget.owner], _budget_doc(budget, kept, now, agent_name))
        if contact is not None and window is not None and not window.holds(reservation_id):
            transaction.set(refs["window"], _window_doc(window.with_stamp(Stamp(reservation_id, now), now), now,
                                                        agent_name))
        if writes.breaker is not None:
            # Only an open breaker hands out a trial, and an open breaker lives in an existing document.
            transaction.update(
                refs["agent"], {"circuit_breaker": writes.breaker.to_firestore(), "updated_at": now}
            )

        return Allowed(
            Reservation(
                reservation_id=reservation_id,
                salon_id=self.salon_id,
                agent_name=agent_name,
                budget_doc_ids=owners,
                customer_id=contact.customer_id if contact else None,
            ),
            outreach_id=outreach_id,
            breaker_trial=writes.breaker is not None,
        )

    # ------------------------------------------------------------------ release
    def release_in(self, transaction: Any, reservation: Reservation, now: datetime) -> bool:
        """Give the budget back (the action failed before anything was sent). Idempotent.

        Returns whether anything was held. Reads then writes: call it before other writes.
        """
        if reservation.salon_id != self.salon_id:
            raise ValueError("reservation belongs to another salon")
        refs = {owner: self._budget_ref(owner) for owner in reservation.budget_doc_ids}
        if reservation.customer_id:
            refs["__window__"] = self._window_ref(reservation.customer_id)
        snaps = _get_all(transaction, list(refs.values()))
        released = False
        for name, ref in refs.items():
            doc = snaps.get(ref.path)
            window = _window(doc, "stamps" if name != "__window__" else "sends")
            if doc is None or not window.holds(reservation.reservation_id):
                continue
            kept = window.without(reservation.reservation_id)
            if name == "__window__":
                transaction.set(ref, _window_doc(kept, now, reservation.agent_name))
            else:
                transaction.update(ref, {"stamps": _stamps(kept), "updated_at": now})
            released = True
        return released

    def release(self, reservation: Reservation, now: datetime) -> bool:
        return run_transaction(self._client, lambda t: self.release_in(t, reservation, now))

    def reserve(
        self,
        *,
        agent_name: str,
        settings: GovernanceSettings,
        now: datetime,
        contact: Contact | None = None,
        action_key: str | None = None,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ) -> GateResult:
        """``check_and_reserve`` in a transaction of its own (no outreach created with it)."""
        result = run_transaction(
            self._client,
            lambda t: self.check_and_reserve(
                t, agent_name=agent_name, settings=settings, now=now, contact=contact, action_key=action_key
            ),
            deadline_s=deadline_s,
        )
        log_breaker_trial(result, now)
        return result

    # ------------------------------------------------------------------ rate_limits view
    def rate_limits(self, agent_name: str, settings: GovernanceSettings, now: datetime) -> dict[str, Any]:
        """``agent_states.rate_limits`` for now: 3 reads (agent state + 2 budgets), no writes."""
        refs = [self._agent_ref(agent_name), self._budget_ref(SALON_OWNER), self._budget_ref(agent_name)]
        found = {snap.reference.path: snap.to_dict() or {} for snap in self._client.get_all(refs) if snap.exists}
        agent = found.get(refs[0].path, {})
        config = agent.get("config") if isinstance(agent.get("config"), Mapping) else {}
        limits = resolve_limits(config, settings.rate_limits, agent_name)
        salon = _budget(SALON_OWNER, limits, found.get(refs[1].path))
        own = _budget(agent_name, limits, found.get(refs[2].path))
        return rate_limits_view(own, salon, now)

    def publish_rate_limits(
        self, agent_name: str, settings: GovernanceSettings, now: datetime
    ) -> dict[str, Any]:
        """Write the view into ``agent_states/{agent}.rate_limits`` (3 reads + 1 write).

        Kept off the reservation path on purpose: writing the agent state on every
        reservation would make that document the hot spot the counters avoid.
        """
        view = self.rate_limits(agent_name, settings, now)
        self._agent_ref(agent_name).set({"rate_limits": view, "updated_at": now}, merge=True)
        return view


# ---------------------------------------------------------------------- helpers


def _get_all(transaction: Any, refs: list[Any]) -> dict[str, dict[str, Any] | None]:
    found: dict[str, dict[str, Any] | None] = {ref.path: None for ref in refs}
    for snap in transaction.get_all(refs):
        if snap.exists:
            found[snap.reference.path] = snap.to_dict() or {}
    return found


def _budget(owner: str, limits: Limits, doc: Mapping[str, Any] | None) -> Budget:
    if owner == SALON_OWNER:
        return Budget("salon", owner, limits.salon_hourly_actions, limits.salon_daily_actions,
                      _window(doc, "stamps"))
    return Budget("agent", owner, limits.hourly_actions, limits.daily_actions, _window(doc, "stamps"))


def _window(doc: Mapping[str, Any] | None, key: str = "sends") -> RollingWindow:
    stamps = []
    for raw in (doc or {}).get(key) or []:
        if isinstance(raw, Mapping) and isinstance(raw.get("at"), datetime):
            stamps.append(Stamp(str(raw.get("reservation_id")), raw["at"]))
    return RollingWindow(tuple(stamps))


def _stamps(window: RollingWindow) -> list[dict[str, Any]]:
    return [{"reservation_id": s.reservation_id, "at": s.at} for s in window.stamps]


def _budget_doc(budget: Budget, window: RollingWindow, now: datetime, agent_name: str) -> dict[str, Any]:
    return {
        "owner": budget.owner,
        "scope": budget.scope,
        "stamps": _stamps(window),
        "hourly_limit": budget.hourly_limit,
        "daily_limit": budget.daily_limit,
        "last_agent": agent_name,
        "updated_at": now,
        "expire_at": now + DAY + WINDOW_TTL,
    }


def _window_doc(window: RollingWindow, now: datetime, agent_name: str) -> dict[str, Any]:
    return {
        "sends": _stamps(window),
        "updated_at": now,
        "last_agent": agent_name,
        "expire_at": now + DAY + WINDOW_TTL,
    }


__all__ = ["SALON_OWNER", "Governor", "reservation_id_for"]
