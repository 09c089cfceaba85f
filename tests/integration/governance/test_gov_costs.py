"""What each governance step costs in Firestore document reads and writes, measured on the emulator.

The numbers asserted here are the ones documented in the store modules and reported to the lead.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud import firestore
from localcloud.testing import RunningServer
from salonflow.adapters.firestore.governance_breaker import BreakerStore
from salonflow.adapters.firestore.governance_consent import ConsentStore
from salonflow.adapters.firestore.governance_gate import Governor
from salonflow.adapters.firestore.governance_idempotency import IdempotencyStore
from salonflow.adapters.firestore.governance_outreach import OutreachStatusStore
from salonflow.domain.customers import Customer
from salonflow.governance import Allowed, Contact, Deferred, GovernanceSettings, outreach_id
from salonflow.governance.circuit_breaker import CallOutcome
from salonflow.governance.clock import ManualClock
from salonflow.governance.types import Channel, ConsentChannel, ConsentSource, MessageCategory

pytestmark = pytest.mark.integration

SALON = "salon_cost"
AGENT = "gap_fill_agent"
NOW = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)
STATS = "http://{}/emulator/v1/projects/demo-salonflow/databases/(default):stats"


def measure(server: RunningServer, action: Callable[[], Any]) -> tuple[int, int]:
    urllib.request.urlopen(urllib.request.Request(STATS.format(server.address), method="DELETE")).read()
    action()
    with urllib.request.urlopen(STATS.format(server.address)) as response:
        stats = json.loads(response.read())
    return int(stats["documentsRead"]), int(stats["documentsWritten"])


def seed(client: firestore.Client) -> None:
    customer = Customer(id="cust_1", salon_id=SALON, name="Asha", phone="+919876543210",
                        created_at=NOW, updated_at=NOW)
    customer = customer.with_consent([ConsentChannel.WHATSAPP], MessageCategory.SERVICE, True,
                                     ConsentSource.IN_SALON, NOW)
    client.collection("salons", SALON, "customers").document("cust_1").set(customer.to_firestore())


def contact(intent: str) -> Contact:
    return Contact("cust_1", Channel.WHATSAPP, MessageCategory.SERVICE, outreach_id(SALON, "cust_1", intent, "s"))


def test_gate_reserve_release_and_rate_limit_view_costs(
    firestore_emulator: RunningServer, firestore_client: firestore.Client,
) -> None:
    seed(firestore_client)
    governor = Governor(firestore_client, SALON)
    settings = GovernanceSettings()
    results: list[Any] = []

    def reserve(intent: str) -> Callable[[], None]:
        return lambda: results.append(governor.reserve(agent_name=AGENT, settings=settings, now=NOW,
                                                       contact=contact(intent)))

    assert measure(firestore_emulator, reserve("a")) == (6, 3)  # allowed: 6 reads, 3 writes
    assert isinstance(results[-1], Allowed)
    assert measure(firestore_emulator, reserve("b")) == (6, 0)  # deferred: reads only
    assert isinstance(results[-1], Deferred)
    assert measure(firestore_emulator, lambda: governor.release(results[0].reservation, NOW)) == (3, 3)
    assert measure(firestore_emulator, lambda: governor.reserve(
        agent_name=AGENT, settings=settings, now=NOW, action_key="reprice-1")) == (3, 2)  # no customer
    assert measure(firestore_emulator, lambda: governor.rate_limits(AGENT, settings, NOW)) == (3, 0)

    # The salon budget is always one of the two budgets, configured or not: it costs nothing extra.
    capped = GovernanceSettings(rate_limits={"hourly_actions": 50, "daily_actions": 300})
    assert measure(firestore_emulator, lambda: governor.reserve(
        agent_name=AGENT, settings=capped, now=NOW, contact=contact("c"))) == (6, 3)


def test_breaker_consent_callback_and_idempotency_costs(
    firestore_emulator: RunningServer, firestore_client: firestore.Client,
) -> None:
    seed(firestore_client)
    breaker = BreakerStore(firestore_client, SALON)
    assert measure(firestore_emulator, lambda: breaker.record(AGENT, CallOutcome.NOT_COUNTED, NOW)) == (0, 0)
    assert measure(firestore_emulator, lambda: breaker.record(
        AGENT, CallOutcome.INFRASTRUCTURE_FAILURE, NOW, error="timeout")) == (1, 1)
    assert measure(firestore_emulator, lambda: breaker.record(AGENT, CallOutcome.SUCCESS, NOW)) == (1, 1)
    assert measure(firestore_emulator, lambda: breaker.record(AGENT, CallOutcome.SUCCESS, NOW)) == (1, 0)
    healthy = breaker.state(AGENT)
    assert measure(firestore_emulator, lambda: breaker.record(AGENT, CallOutcome.SUCCESS, NOW, seen=healthy)) == (0, 0)

    consent = ConsentStore(firestore_client, SALON)
    assert measure(firestore_emulator, lambda: consent.handle_inbound_text(
        "cust_1", "STOP OFFERS", Channel.WHATSAPP, NOW)) == (1, 2)

    firestore_client.collection("salons", SALON, "outreach").document("out_x").set(
        {"status": "pending", "delivery": {"message_id": "SMx"}})
    callbacks = OutreachStatusStore(firestore_client, SALON)
    assert measure(firestore_emulator, lambda: callbacks.apply_callback("out_x", "delivered", NOW)) == (1, 1)
    assert measure(firestore_emulator, lambda: callbacks.apply_callback("out_x", "sent", NOW)) == (1, 1)
    assert measure(firestore_emulator, lambda: callbacks.apply_callback("out_x", "sent", NOW)) == (1, 0)

    store = IdempotencyStore(firestore_client, SALON, ManualClock(NOW))

    def first_run() -> None:
        with store.guard("evt-1", {"a": 1}) as run:
            run.complete({"ok": True})

    def replay() -> None:
        with store.guard("evt-1", {"a": 1}) as run:
            assert run.replayed

    assert measure(firestore_emulator, first_run) == (1, 2)
    assert measure(firestore_emulator, replay) == (1, 0)
