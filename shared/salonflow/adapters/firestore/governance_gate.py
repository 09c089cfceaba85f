"""The Firestore-backed governor: check an action and reserve its budget in the caller's transaction.

Documents (all under ``salons/{salon_id}/``):
  agent_states/{agent_name}                  config, status, circuit_breaker (read; written on breaker transition)
  rate_limit_counters/{scope}__{period}__{key}  {scope, period, key, limit, count, reservation_ids, expire_at}
  customer_contact_windows/{customer_id}     {sends: [{reservation_id, at, agent_name}], expire_at}
  customers/{customer_id}                    ``consent`` map (read only)
  outreach/{outreach_id}                     existence check only (the caller creates it)

Cost of ``check_and_reserve`` (one batched read RPC):
  reads: 1 agent_state + 2 agent counters (+2 if salon-wide caps are configured)
         + for a customer contact: customer + contact window + outreach = 6 (8)
  writes when Allowed: 2 counters + 1 contact window (+2 salon caps) (+1 breaker on a half-open trial)
         = 3 (5), plus the caller's own outreach create
  writes when Deferred/Suppressed: 0
``release``: the same counter/window reads (3-5) and as many writes, once per failed action.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.governance_transactions import run_transaction
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
    CUSTOMER_DAY,
    Counter,
    CustomerSend,
    CustomerWindow,
    Limits,
    Period,
    day_period,
    hour_period,
    rate_limits_view,
    resolve_limits,
)

AGENT_STATES = "agent_states"
COUNTERS = "rate_limit_counters"
CONTACT_WINDOWS = "customer_contact_windows"
CUSTOMERS = "customers"
OUTREACH = "outreach"
SALON_SCOPE = "__salon__"
COUNTER_TTL = timedelta(days=2)


def reservation_id_for(agent_name: str, outreach_id: str | None, action_key: str | None) -> str:
    """Deterministic when the action is (an outreach id or the caller's action key): replays reuse it."""
    basis = outreach_id or action_key
    if not basis:
        raise ValueError("a reservation needs an outreach id or an action key")
    return "rsv_" + hashlib.sha256(f"{agent_name}\x1f{basis}".encode()).hexdigest()[:24]


def counter_doc_id(scope: str, period: Period) -> str:
    return f"{scope}__{period.kind}__{period.key}"


class Governor:
    """Salon-scoped gate. Construct per salon; cheap (no I/O in the constructor)."""

    def __init__(self, client: firestore.Client, salon_id: str) -> None:
        self._client = client
        self.salon_id = salon_id
        self._salon = client.collection("salons").document(salon_id)

    # ------------------------------------------------------------------ refs
    def _agent_ref(self, agent_name: str) -> Any:
        return self._salon.collection(AGENT_STATES).document(agent_name)

    def _counter_ref(self, doc_id: str) -> Any:
        return self._salon.collection(COUNTERS).document(doc_id)

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
        hour, day = hour_period(now, settings.timezone), day_period(now, settings.timezone)

        # (owner of the counter document, period); the owner is the agent or the whole salon.
        scopes: list[tuple[str, Period]] = [(agent_name, hour), (agent_name, day)]
        refs: dict[str, Any] = {"agent": self._agent_ref(agent_name)}
        # Salon-wide caps are read only when configured: the limit decides whether they exist.
        preliminary = resolve_limits(None, settings.rate_limits)
        if preliminary.salon_hourly_actions is not None:
            scopes.append((SALON_SCOPE, hour))
        if preliminary.salon_daily_actions is not None:
            scopes.append((SALON_SCOPE, day))
        for scope, period in scopes:
            refs[counter_doc_id(scope, period)] = self._counter_ref(counter_doc_id(scope, period))
        if contact is not None:
            refs["customer"] = self._salon.collection(CUSTOMERS).document(contact.customer_id)
            refs["window"] = self._window_ref(contact.customer_id)
            refs["outreach"] = self._salon.collection(OUTREACH).document(contact.outreach_id)

        snaps = _get_all(transaction, list(refs.values()))
        data = {name: snaps.get(ref.path) for name, ref in refs.items()}

        agent = data["agent"] or {}
        config = agent.get("config") if isinstance(agent.get("config"), Mapping) else {}
        limits = resolve_limits(config, settings.rate_limits)
        counters = tuple(
            _counter(scope, period, _limit_for(limits, scope, period), data[counter_doc_id(scope, period)])
            for scope, period in scopes
        )
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
                counters=counters,
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

        for counter in counters:
            if reservation_id in counter.reservation_ids:
                continue  # a replay of a reservation already held: count it once
            transaction.set(
                refs[counter_doc_id(counter.owner, counter.period)],
                {
                    "scope": counter.owner,
                    "period": counter.period.kind,
                    "key": counter.period.key,
                    "limit": counter.limit,
                    "count": counter.count + 1,
                    "reservation_ids": [*counter.reservation_ids, reservation_id],
                    "starts_at": counter.period.starts_at,
                    "expire_at": counter.period.resets_at + COUNTER_TTL,
                },
            )
        if contact is not None and window is not None and not window.holds(reservation_id):
            kept = window.pruned(now)
            sends = [*kept.sends, CustomerSend(reservation_id, now)]
            transaction.set(refs["window"], _window_doc(sends, now, agent_name))
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
                counter_doc_ids=tuple(counter_doc_id(c.owner, c.period) for c in counters),
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
        refs = {doc_id: self._counter_ref(doc_id) for doc_id in reservation.counter_doc_ids}
        if reservation.customer_id:
            refs["__window__"] = self._window_ref(reservation.customer_id)
        snaps = _get_all(transaction, list(refs.values()))
        released = False
        for name, ref in refs.items():
            doc = snaps.get(ref.path)
            if doc is None:
                continue
            if name == "__window__":
                window = _window(doc)
                if window.holds(reservation.reservation_id):
                    kept = [s for s in window.sends if s.reservation_id != reservation.reservation_id]
                    transaction.set(ref, _window_doc(kept, now, reservation.agent_name))
                    released = True
                continue
            ids = [str(i) for i in doc.get("reservation_ids") or []]
            if reservation.reservation_id in ids:
                ids.remove(reservation.reservation_id)
                transaction.update(ref, {"reservation_ids": ids, "count": len(ids)})
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
    ) -> GateResult:
        """``check_and_reserve`` in a transaction of its own (no outreach created with it)."""
        return run_transaction(
            self._client,
            lambda t: self.check_and_reserve(
                t, agent_name=agent_name, settings=settings, now=now, contact=contact, action_key=action_key
            ),
        )

    # ------------------------------------------------------------------ rate_limits view
    def rate_limits(self, agent_name: str, settings: GovernanceSettings, now: datetime) -> dict[str, Any]:
        """``agent_states.rate_limits`` for now: 3 reads (agent state + 2 counters), no writes."""
        hour, day = hour_period(now, settings.timezone), day_period(now, settings.timezone)
        agent_snap = self._agent_ref(agent_name).get()
        agent = (agent_snap.to_dict() or {}) if agent_snap.exists else {}
        config = agent.get("config") if isinstance(agent.get("config"), Mapping) else {}
        limits = resolve_limits(config, settings.rate_limits)
        hourly = _counter(
            agent_name,
            hour,
            limits.hourly_actions,
            self._counter_ref(counter_doc_id(agent_name, hour)).get().to_dict(),
        )
        daily = _counter(
            agent_name,
            day,
            limits.daily_actions,
            self._counter_ref(counter_doc_id(agent_name, day)).get().to_dict(),
        )
        return rate_limits_view(hourly, daily)

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


def _limit_for(limits: Limits, scope: str, period: Period) -> int:
    if scope == SALON_SCOPE:
        value = limits.salon_hourly_actions if period.kind == "hour" else limits.salon_daily_actions
        assert value is not None
        return value
    return limits.hourly_actions if period.kind == "hour" else limits.daily_actions


def _counter(owner: str, period: Period, limit: int, doc: Mapping[str, Any] | None) -> Counter:
    ids = tuple(str(i) for i in (doc or {}).get("reservation_ids") or [])
    return Counter(scope="salon" if owner == SALON_SCOPE else "agent", period=period, limit=limit,
                   reservation_ids=ids, owner=owner)


def _window(doc: Mapping[str, Any] | None) -> CustomerWindow:
    sends = []
    for raw in (doc or {}).get("sends") or []:
        if isinstance(raw, Mapping) and isinstance(raw.get("at"), datetime):
            sends.append(CustomerSend(str(raw.get("reservation_id")), raw["at"]))
    return CustomerWindow(tuple(sends))


def _window_doc(sends: list[CustomerSend], now: datetime, agent_name: str) -> dict[str, Any]:
    return {
        "sends": [{"reservation_id": s.reservation_id, "at": s.at} for s in sends],
        "updated_at": now,
        "last_agent": agent_name,
        "expire_at": now + CUSTOMER_DAY + COUNTER_TTL,
    }


__all__ = ["Governor", "counter_doc_id", "reservation_id_for"]
