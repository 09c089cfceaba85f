"""A simulated day of a small salon through the real service layer on the Firestore emulator: structural truths
only (no rule broken, no slot booked twice, every message the product recorded as sent reached the simulator)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain.enums import BookingStatus, OutreachStatus
from salonflow_sim.month import run_month
from salonflow_sim.results import Policy, PolicyMonth
from salonflow_sim.world import SIZES, World, build_world

pytestmark = pytest.mark.integration

MONDAY = date(2026, 3, 2)  # the small salon's short day (11:00-17:00): a whole day of every agent's ticks


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SIZES["small"], 1, MONDAY)


def test_a_simulated_day_breaks_no_rule_books_no_slot_twice_and_records_every_message_sent(
        firestore_client: Any, world: World) -> None:
    months = {m.policy: m for m in run_month(world, firestore_client)}
    salon_flow: PolicyMonth = months[Policy.SALON_FLOW]
    assert salon_flow.violations.total == 0, salon_flow.violations.examples
    assert salon_flow.ledger.messages, "the agents sent nothing: the day exercised nothing"

    repos = SalonRepositories(firestore_client, world.salon_id)
    day_start = world.start
    bookings = repos.bookings.in_range(day_start - timedelta(hours=12), world.end + timedelta(days=3))
    held = [b for b in bookings if b.status not in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW)]
    for staff_id in {b.staff_id for b in held}:
        mine = sorted((b for b in held if b.staff_id == staff_id), key=lambda b: b.start_time)
        for earlier, later in itertools.pairwise(mine):
            assert earlier.end_time <= later.start_time, f"{earlier.id} and {later.id} overlap"
    agent_made = [b for b in held if b.source.value == "agent"]
    assert len({b.outreach_id for b in agent_made}) == len(agent_made)  # one booking per accepted offer

    delivered = {OutreachStatus.SENT, OutreachStatus.DELIVERED, OutreachStatus.READ, OutreachStatus.RESPONDED,
                 OutreachStatus.EXPIRED}
    sent_outreach = [o for o in repos.outreach.query([]) if o.delivery.sent_at is not None and o.status in delivered]
    proactive = [m for m in salon_flow.ledger.messages if m.proactive and m.channel == "whatsapp"]
    assert len(proactive) == len(sent_outreach)

    for policy in (Policy.FCFS, Policy.BROADCAST):
        assert months[policy].violations.consent == 0 and months[policy].violations.quiet_hours == 0
