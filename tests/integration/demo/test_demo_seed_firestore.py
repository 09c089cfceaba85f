"""Seeding a salon into the Firestore emulator through the real client and the salon-scoped repositories."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from salonflow.adapters.firestore.directory import due_agents, salon_by_whatsapp_sender
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow_demo.seed import BATCH_LIMIT, SalonDataset, build_salon, write_salon

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def dataset() -> SalonDataset:
    # Small, but over one batch's worth of documents so several batches are committed.
    return build_salon(11, salon_id="salon_seeded", day=DAY, staff=3, services=10, customers=120, history_days=120)


def _stored_counts(repos: SalonRepositories) -> dict[str, int]:
    return {
        "salon": int(repos.salon.get() is not None),
        "staff": repos.staff.count(),
        "services": repos.services.count(),
        "customers": repos.customers.count(),
        "bookings": repos.bookings.count(),
        "waitlist": repos.waitlist.count(),
        "customer_scores": repos.customer_scores.count(),
        "agent_states": repos.agent_states.count(),
    }


def test_a_seeded_salon_is_written_in_batches_and_reads_back_document_for_document(
    firestore_client: Any, dataset: SalonDataset,
) -> None:
    counts = write_salon(firestore_client, dataset)
    assert counts == dataset.counts()
    assert sum(counts.values()) > BATCH_LIMIT
    repos = SalonRepositories(firestore_client, "salon_seeded")
    assert _stored_counts(repos) == counts
    assert repos.salon.get() == dataset.salon
    assert sorted(repos.customers.list_all(), key=lambda c: c.id) == sorted(dataset.customers, key=lambda c: c.id)
    assert sorted(repos.staff.list_all(), key=lambda s: s.id) == sorted(dataset.staff, key=lambda s: s.id)
    first = dataset.bookings_on(DAY)[0]
    assert repos.bookings.get(first.id) == first


def test_seeding_the_same_salon_twice_leaves_the_same_documents(firestore_client: Any, dataset: SalonDataset) -> None:
    write_salon(firestore_client, dataset)
    again = write_salon(firestore_client, dataset)
    assert _stored_counts(SalonRepositories(firestore_client, "salon_seeded")) == again == dataset.counts()


def test_the_seeded_salon_answers_the_queries_the_agents_and_webhooks_make(
    firestore_client: Any, dataset: SalonDataset,
) -> None:
    write_salon(firestore_client, dataset)
    repos = SalonRepositories(firestore_client, "salon_seeded")
    member = dataset.staff[0]
    day_start = dataset.as_of
    expected = [b for b in dataset.bookings_on(DAY) if b.staff_id == member.id]
    assert repos.bookings.upcoming(day_start, day_start + timedelta(days=1), staff_id=member.id) == expected
    assert [d.agent_name for d in due_agents(firestore_client, "gap_fill_agent", day_start)] == ["gap_fill_agent"]
    assert len({name for name in (s.agent_name for s in dataset.agent_states)
                if due_agents(firestore_client, name, day_start)}) == 7
    sender = dataset.salon.whatsapp_sender
    assert sender is not None
    found = salon_by_whatsapp_sender(firestore_client, f"whatsapp:{sender}")
    assert found is not None and found.id == "salon_seeded"
    customer = dataset.customers[5]
    assert repos.customers.by_phone(customer.phone) == customer
    waiting = repos.waitlist.waiting()
    assert {w.id for w in waiting} == {w.id for w in dataset.waitlist}
    assert [w.priority for w in waiting] == sorted((w.priority for w in waiting), reverse=True)
