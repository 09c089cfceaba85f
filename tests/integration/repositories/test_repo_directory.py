"""The cross-salon lookups: due agents for the scheduler, and the salon behind a WhatsApp number."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from repo_builders import NOW, agent_state, approval, salon
from salonflow.adapters.firestore.directory import DueAgent, due_agents, salon_by_whatsapp_sender
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain import AgentStatus

pytestmark = pytest.mark.integration


def test_the_scheduler_finds_only_active_agents_that_are_due_with_their_salon(firestore_client: Any) -> None:
    due = SalonRepositories(firestore_client, "salon_due")
    later = SalonRepositories(firestore_client, "salon_later")
    paused = SalonRepositories(firestore_client, "salon_paused")
    due.agent_states.upsert(agent_state("salon_due", next_scheduled=NOW - timedelta(minutes=1)))
    due.agent_states.upsert(agent_state("salon_due", "waitlist_agent", next_scheduled=NOW - timedelta(minutes=9)))
    later.agent_states.upsert(agent_state("salon_later", next_scheduled=NOW + timedelta(minutes=4)))
    paused.agent_states.upsert(agent_state("salon_paused", status=AgentStatus.PAUSED,
                                           next_scheduled=NOW - timedelta(hours=1)))
    assert due_agents(firestore_client, "gap_fill_agent", NOW) == [
        DueAgent("salon_due", "gap_fill_agent", NOW - timedelta(minutes=1))
    ]
    assert [d.salon_id for d in due_agents(firestore_client, "gap_fill_agent", NOW + timedelta(minutes=5))] == [
        "salon_due", "salon_later"]


def test_an_agent_held_by_its_circuit_breaker_stays_scheduled_so_it_can_try_after_the_cooldown(
    firestore_client: Any,
) -> None:
    held = SalonRepositories(firestore_client, "salon_held")
    held.agent_states.upsert(agent_state("salon_held", status=AgentStatus.CIRCUIT_BREAKER,
                                         next_scheduled=NOW - timedelta(minutes=1)))
    assert [d.salon_id for d in due_agents(firestore_client, "gap_fill_agent", NOW)] == ["salon_held"]


def test_an_agent_state_filed_under_the_wrong_salon_is_not_scheduled_for_either(firestore_client: Any) -> None:
    misfiled = agent_state("salon_x", next_scheduled=NOW - timedelta(minutes=1)).to_firestore()
    firestore_client.document("salons/salon_y/agent_states/gap_fill_agent").set(misfiled)
    assert due_agents(firestore_client, "gap_fill_agent", NOW) == []


def test_an_incoming_whatsapp_number_identifies_exactly_one_salon(firestore_client: Any) -> None:
    SalonRepositories(firestore_client, "salon_1").salon.save(salon("salon_1", whatsapp_sender="+919800000001"))
    SalonRepositories(firestore_client, "salon_2").salon.save(salon("salon_2", whatsapp_sender="+919800000002"))
    found = salon_by_whatsapp_sender(firestore_client, "whatsapp:+919800000002")
    assert found is not None and found.id == "salon_2"
    assert salon_by_whatsapp_sender(firestore_client, "+919800000009") is None
    SalonRepositories(firestore_client, "salon_3").salon.save(salon("salon_3", whatsapp_sender="+919800000002"))
    assert salon_by_whatsapp_sender(firestore_client, "+919800000002") is None


def test_the_approval_backlog_is_counted_without_reading_documents(firestore_client: Any) -> None:
    repos = SalonRepositories(firestore_client, "salon_1")
    for index in range(12):
        repos.approvals.create(approval("salon_1", f"apr_{index}"))
    repos.approvals.create(approval("salon_1", "apr_done", status="approved", response={
        "action": "approve", "responded_by": "uid_owner", "responded_at": NOW}))
    SalonRepositories(firestore_client, "salon_2").approvals.create(approval("salon_2", "apr_other"))
    assert repos.approvals.count_pending() == 12
    assert repos.approvals.count() == 13
