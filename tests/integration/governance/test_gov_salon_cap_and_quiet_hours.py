"""A salon-wide cap shared by two agents stays exact; quiet hours defer across midnight, never drop."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.cloud import firestore
from salonflow.adapters.firestore.governance_gate import Governor
from salonflow.domain.agent_state import AGENT_NAMES
from salonflow.domain.customers import Customer
from salonflow.governance import Allowed, Contact, Deferred, GovernanceSettings, outreach_id
from salonflow.governance.types import Channel, ConsentChannel, ConsentSource, MessageCategory

pytestmark = pytest.mark.integration

SALON = "salon_cap"
IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)  # 11:30 IST


def test_two_agents_racing_against_a_salon_wide_cap_never_exceed_it(firestore_client: firestore.Client) -> None:
    settings = GovernanceSettings(rate_limits={"hourly_actions": 30})
    agents = ["gap_fill_agent", "waitlist_agent"] * 25
    results: list[object] = [None] * len(agents)
    barrier = threading.Barrier(len(agents))

    def act(i: int) -> None:
        barrier.wait()
        results[i] = Governor(firestore_client, SALON).reserve(
            agent_name=agents[i], settings=settings, now=NOW, action_key=f"reprice-{i}")

    threads = [threading.Thread(target=act, args=(i,)) for i in range(len(agents))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    per_agent = Counter(agents[i] for i, r in enumerate(results) if isinstance(r, Allowed))
    assert sum(per_agent.values()) == 30
    assert max(per_agent.values()) <= 20  # each agent's own hourly limit holds as well
    reasons = {r.reason for r in results if isinstance(r, Deferred)}
    assert reasons <= {"salon_hourly_limit", "agent_hourly_limit"} and reasons
    assert len(results) - sum(per_agent.values()) == 20


def test_seven_agents_racing_share_the_spec_budget_of_twenty_an_hour_for_the_whole_salon(
    firestore_client: firestore.Client,
) -> None:
    salon_id = "salon_shared_budget"
    agents = [name for name in AGENT_NAMES for _ in range(10)]  # 70 simultaneous actions, 10 per agent
    results: list[object] = [None] * len(agents)
    barrier = threading.Barrier(len(agents))

    def act(i: int) -> None:
        barrier.wait()
        results[i] = Governor(firestore_client, salon_id).reserve(
            agent_name=agents[i], settings=GovernanceSettings(), now=NOW, action_key=f"act-{i}",
            deadline_s=300)  # 70 transactions queue on one document: on a busy 2-core machine that takes a while

    threads = [threading.Thread(target=act, args=(i,)) for i in range(len(agents))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    allowed = [r for r in results if isinstance(r, Allowed)]
    assert len(allowed) == 20, Counter(type(r).__name__ for r in results)
    stamps = firestore_client.document(f"salons/{salon_id}/rate_limit_windows/salon").get().to_dict()["stamps"]
    assert len(stamps) == 20

    # The hour rolls: one minute past the hour, the twenty actions of 11:30 still fill it.
    later = Governor(firestore_client, salon_id).reserve(
        agent_name="gap_fill_agent", settings=GovernanceSettings(), now=NOW + timedelta(minutes=59),
        action_key="one-more")
    assert isinstance(later, Deferred) and later.reason == "salon_hourly_limit"
    assert later.until == NOW + timedelta(hours=1)


def test_a_salon_cap_of_zero_stops_every_agent(firestore_client: firestore.Client) -> None:
    settings = GovernanceSettings(rate_limits={"daily_actions": 0})
    result = Governor(firestore_client, SALON).reserve(
        agent_name="gap_fill_agent", settings=settings, now=NOW, action_key="k")
    assert isinstance(result, Deferred) and result.reason == "salon_daily_limit"


def test_a_late_evening_offer_is_deferred_to_ten_the_next_morning_in_the_salons_timezone(
    firestore_client: firestore.Client,
) -> None:
    customer = Customer(id="cust_1", salon_id=SALON, name="Ravi", phone="+919876543211",
                        created_at=NOW, updated_at=NOW)
    customer = customer.with_consent([ConsentChannel.WHATSAPP], MessageCategory.MARKETING, True,
                                     ConsentSource.IN_SALON, NOW)
    firestore_client.collection("salons", SALON, "customers").document("cust_1").set(customer.to_firestore())
    settings = GovernanceSettings.from_salon_document({"timezone": "Asia/Kolkata"})
    contact = Contact("cust_1", Channel.WHATSAPP, MessageCategory.MARKETING,
                      outreach_id(SALON, "cust_1", "retention", "2024-01"))
    governor = Governor(firestore_client, SALON)

    late = datetime(2024, 1, 15, 23, 40, tzinfo=IST)
    deferred = governor.reserve(agent_name="retention_agent", settings=settings, now=late, contact=contact)
    assert deferred == Deferred(datetime(2024, 1, 16, 10, 0, tzinfo=IST), "quiet_hours:marketing")
    assert governor.rate_limits("retention_agent", settings, late)["hourly_actions"]["current"] == 0

    assert isinstance(deferred, Deferred) and deferred.until is not None
    retried = governor.reserve(agent_name="retention_agent", settings=settings, now=deferred.until, contact=contact)
    assert isinstance(retried, Allowed)
