"""50 simultaneous reservations against one salon and one customer never exceed a limit."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore
from salonflow.adapters.firestore.governance_gate import Governor
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.governance import Allowed, Contact, Deferred, GovernanceSettings, outreach_id
from salonflow.governance.consent import ConsentState, entry_to_firestore, set_consent
from salonflow.governance.types import Channel, ConsentChannel, ConsentSource, MessageCategory

pytestmark = pytest.mark.integration

SALON = "salon_rl"
AGENT = "gap_fill_agent"
NOW = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)  # 11:30 IST: inside both windows
SETTINGS = GovernanceSettings()


def add_customer(client: firestore.Client, customer_id: str) -> None:
    state = ConsentState()
    for category in MessageCategory:
        state, _ = set_consent(state, ConsentChannel.WHATSAPP, category, True, ConsentSource.IN_SALON, NOW)
    consent = {"whatsapp": {c.value: entry_to_firestore(state.entries[(ConsentChannel.WHATSAPP, c)])
                            for c in MessageCategory}}
    client.collection("salons", SALON, "customers").document(customer_id).set({
        "salon_id": SALON, "name": customer_id, "phone": "+919876543210", "consent": consent,
        "created_at": NOW, "updated_at": NOW,
    })


def contact(customer_id: str, intent: str) -> Contact:
    return Contact(customer_id, Channel.WHATSAPP, MessageCategory.SERVICE,
                   outreach_id(SALON, customer_id, intent, "2024-01-15T14:00:00+05:30"))


def reserve_with_outreach(client: firestore.Client, governor: Governor, c: Contact) -> Any:
    """What the executor does: gate + outbox row in one transaction."""

    def work(transaction: Any) -> Any:
        result = governor.check_and_reserve(transaction, agent_name=AGENT, settings=SETTINGS, now=NOW, contact=c)
        if isinstance(result, Allowed):
            ref = client.collection("salons", SALON, "outreach").document(c.outreach_id)
            transaction.create(ref, {"id": c.outreach_id, "status": "pending", "customer_id": c.customer_id})
        return result

    return run_transaction(client, work, deadline_s=60)


def hammer(client: firestore.Client, contacts: list[Contact]) -> list[Any]:
    governor = Governor(client, SALON)
    results: list[Any] = [None] * len(contacts)
    barrier = threading.Barrier(len(contacts))

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = reserve_with_outreach(client, governor, contacts[i])
        except Exception as exc:  # pragma: no cover - reported through the assertion below
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(contacts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_fifty_simultaneous_actions_of_one_agent_reserve_exactly_the_hourly_limit(
    firestore_client: firestore.Client,
) -> None:
    customers = [f"cust_{i:02d}" for i in range(50)]
    for customer_id in customers:
        add_customer(firestore_client, customer_id)

    results = hammer(firestore_client, [contact(c, "reminder") for c in customers])

    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Allowed": 20, "Deferred": 30}, results
    # The agent is the salon's only one here, so both budgets fill together; the shared one is named.
    assert {r.reason for r in results if isinstance(r, Deferred)} == {"salon_hourly_limit"}
    windows = firestore_client.collection("salons", SALON, "rate_limit_windows")
    for owner in ("salon", AGENT):
        budget = windows.document(owner).get().to_dict()
        assert budget is not None and len({s["reservation_id"] for s in budget["stamps"]}) == 20
    outreach = list(firestore_client.collection("salons", SALON, "outreach").stream())
    assert len(outreach) == 20
    view = Governor(firestore_client, SALON).rate_limits(AGENT, SETTINGS, NOW)
    assert view["hourly_actions"] == {"limit": 20, "current": 20, "remaining": 0, "salon_limit": 20,
                                      "salon_current": 20}
    assert view["daily_actions"] == {"limit": 100, "current": 20, "remaining": 80, "salon_limit": 100,
                                     "salon_current": 20}


def test_fifty_simultaneous_outreach_to_one_customer_let_exactly_one_through(
    firestore_client: firestore.Client,
) -> None:
    add_customer(firestore_client, "cust_hot")
    results = hammer(firestore_client, [contact("cust_hot", f"intent_{i}") for i in range(50)])

    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Allowed": 1, "Deferred": 49}, results
    assert {r.reason for r in results if isinstance(r, Deferred)} == {"customer_hourly_limit"}
    window = firestore_client.collection("salons", SALON, "customer_contact_windows").document(
        "cust_hot").get().to_dict()
    assert window is not None and len(window["sends"]) == 1
    assert Governor(firestore_client, SALON).rate_limits(AGENT, SETTINGS, NOW)["hourly_actions"]["current"] == 1


def test_a_customer_gets_at_most_three_outreach_per_day(firestore_client: firestore.Client) -> None:
    add_customer(firestore_client, "cust_day")
    governor = Governor(firestore_client, SALON)
    allowed = []
    for hour in range(6):
        now = NOW + timedelta(hours=hour, minutes=1)
        result = governor.reserve(agent_name=AGENT, settings=SETTINGS, now=now,
                                  contact=contact("cust_day", f"visit_{hour}"))
        allowed.append(isinstance(result, Allowed))
    assert allowed == [True, True, True, False, False, False]


def test_a_released_reservation_gives_the_budget_back_once(firestore_client: firestore.Client) -> None:
    add_customer(firestore_client, "cust_rel")
    governor = Governor(firestore_client, SALON)
    first = governor.reserve(agent_name=AGENT, settings=SETTINGS, now=NOW, contact=contact("cust_rel", "a"))
    assert isinstance(first, Allowed)
    blocked = governor.reserve(agent_name=AGENT, settings=SETTINGS, now=NOW, contact=contact("cust_rel", "b"))
    assert isinstance(blocked, Deferred) and blocked.reason == "customer_hourly_limit"

    # The send failed before anything went out (e.g. template missing): hand the budget back.
    assert governor.release(first.reservation, NOW) is True
    assert governor.release(first.reservation, NOW) is False  # idempotent
    assert governor.rate_limits(AGENT, SETTINGS, NOW)["hourly_actions"]["current"] == 0

    retry = governor.reserve(agent_name=AGENT, settings=SETTINGS, now=NOW, contact=contact("cust_rel", "b"))
    assert isinstance(retry, Allowed)
    assert governor.rate_limits(AGENT, SETTINGS, NOW)["hourly_actions"]["current"] == 1


def test_a_replayed_decision_is_a_duplicate_and_costs_no_budget(firestore_client: firestore.Client) -> None:
    add_customer(firestore_client, "cust_dup")
    governor = Governor(firestore_client, SALON)
    c = contact("cust_dup", "gap_fill:gap_1")
    assert isinstance(reserve_with_outreach(firestore_client, governor, c), Allowed)
    replay = reserve_with_outreach(firestore_client, governor, c)
    assert replay.reason == "duplicate" and replay.outreach_id == c.outreach_id
    assert governor.rate_limits(AGENT, SETTINGS, NOW)["hourly_actions"]["current"] == 1
