"""The circuit breaker lives in Firestore: every instance sees and drives the same state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import firestore
from salonflow.adapters.firestore.governance_breaker import BreakerStore
from salonflow.adapters.firestore.governance_gate import Governor
from salonflow.domain.agent_state import AgentState
from salonflow.governance import Allowed, Deferred, GovernanceSettings
from salonflow.governance.circuit_breaker import BreakerStateName, CallOutcome
from salonflow.governance.clock import ManualClock

pytestmark = pytest.mark.integration

SALON = "salon_cb"
AGENT = "no_show_prevention_agent"
START = datetime(2024, 1, 15, 6, 0, tzinfo=UTC)
SETTINGS = GovernanceSettings()


@pytest.fixture
def second_client(firestore_client: firestore.Client) -> Iterator[firestore.Client]:
    """Another "function instance": its own client and connection to the same database."""
    client = firestore.Client(project=firestore_client.project)
    try:
        yield client
    finally:
        client.close()


def test_failures_reported_by_two_instances_open_one_shared_breaker(
    firestore_client: firestore.Client, second_client: firestore.Client,
) -> None:
    clock = ManualClock(START)
    instance_a = BreakerStore(firestore_client, SALON)
    instance_b = BreakerStore(second_client, SALON)

    for store in (instance_a, instance_b, instance_a, instance_b):
        store.record(AGENT, CallOutcome.INFRASTRUCTURE_FAILURE, clock(), error="twilio_http_503")
    assert instance_b.state(AGENT).error_count == 4
    assert instance_b.state(AGENT).state is BreakerStateName.CLOSED
    instance_b.record(AGENT, CallOutcome.INFRASTRUCTURE_FAILURE, clock(), error="timeout")

    seen_by_a = instance_a.state(AGENT)
    assert seen_by_a.state is BreakerStateName.OPEN
    assert seen_by_a.cooldown_until == START + timedelta(minutes=5)
    stored = firestore_client.collection("salons", SALON, "agent_states").document(AGENT).get().to_dict()
    assert stored is not None and stored["status"] == "circuit_breaker"
    AgentState.from_firestore(AGENT, stored)  # still a valid agent state document

    gate_on_a = Governor(firestore_client, SALON).reserve(
        agent_name=AGENT, settings=SETTINGS, now=clock.advance(timedelta(minutes=1)), action_key="k1")
    assert gate_on_a == Deferred(START + timedelta(minutes=5), "circuit_open")


def test_after_the_cooldown_exactly_one_instance_gets_the_trial_and_its_success_closes_the_breaker(
    firestore_client: firestore.Client, second_client: firestore.Client,
) -> None:
    store = BreakerStore(firestore_client, SALON)
    for _ in range(5):
        store.record(AGENT, CallOutcome.INFRASTRUCTURE_FAILURE, START, error="twilio_http_500")
    after = START + timedelta(minutes=5)

    governors = [Governor(firestore_client, SALON), Governor(second_client, SALON)] * 5
    results: list[object] = [None] * len(governors)
    barrier = threading.Barrier(len(governors))

    def admit(i: int) -> None:
        barrier.wait()
        results[i] = governors[i].reserve(agent_name=AGENT, settings=SETTINGS, now=after, action_key=f"a{i}")

    threads = [threading.Thread(target=admit, args=(i,)) for i in range(len(governors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    trials = [r for r in results if isinstance(r, Allowed)]
    assert len(trials) == 1 and trials[0].breaker_trial
    assert all(isinstance(r, Deferred) and r.reason == "circuit_open" for r in results if r not in trials)
    assert store.state(AGENT).state is BreakerStateName.HALF_OPEN

    BreakerStore(second_client, SALON).record(AGENT, CallOutcome.SUCCESS, after + timedelta(seconds=2))
    closed = store.state(AGENT)
    assert (closed.state, closed.error_count, closed.cooldown_until) == (BreakerStateName.CLOSED, 0, None)
    status = firestore_client.collection("salons", SALON, "agent_states").document(AGENT).get().get("status")
    assert status == "active"


def test_concurrent_failures_are_counted_exactly(firestore_client: firestore.Client) -> None:
    store = BreakerStore(firestore_client, SALON)
    barrier = threading.Barrier(4)

    def fail() -> None:
        barrier.wait()
        store.record(AGENT, CallOutcome.INFRASTRUCTURE_FAILURE, START, error="timeout")

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = store.state(AGENT)
    assert (state.state, state.error_count) == (BreakerStateName.CLOSED, 4)


def test_per_recipient_errors_never_touch_the_breaker_and_a_manual_reset_is_audited(
    firestore_client: firestore.Client,
) -> None:
    store = BreakerStore(firestore_client, SALON)
    for _ in range(10):
        assert store.record(AGENT, CallOutcome.NOT_COUNTED, START, error="twilio_21610") is None
    assert not firestore_client.collection("salons", SALON, "agent_states").document(AGENT).get().exists

    for _ in range(5):
        store.record(AGENT, CallOutcome.INFRASTRUCTURE_FAILURE, START, error="twilio_http_502")
    store.reset(AGENT, "user_owner", START + timedelta(minutes=1), reason="Twilio incident resolved")
    assert store.state(AGENT).state is BreakerStateName.CLOSED
    logs = [s.to_dict() for s in firestore_client.collection("salons", SALON, "audit_logs").stream()]
    assert [(log["event_type"], log["actor"], log["resource_id"]) for log in logs] == [
        ("manual_override", "user_owner", AGENT)]
