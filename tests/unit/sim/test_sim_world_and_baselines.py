from collections import Counter
from datetime import date, timedelta

import pytest
from salonflow_sim.baselines import MESSAGES_PER_SLOT, run_baseline
from salonflow_sim.behaviour import Fate
from salonflow_sim.ledger import Ledger
from salonflow_sim.results import Policy, PolicyMonth
from salonflow_sim.world import SIZES, World, _room_in, build_world

FIRST_DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SIZES["reference"], 14, FIRST_DAY)


@pytest.fixture(scope="module")
def months(world: World) -> dict[Policy, PolicyMonth]:
    return {p: run_baseline(world, p) for p in (Policy.NONE, Policy.FCFS, Policy.BROADCAST)}


def test_the_same_seed_builds_the_same_month_with_the_same_fates() -> None:
    small = SIZES["small"]
    first, second = build_world(small, 3, FIRST_DAY), build_world(small, 3, FIRST_DAY)
    assert [(b.id, b.fate, b.cancel_at) for b in first.bookings] == [(b.id, b.fate, b.cancel_at) for b in second.bookings]
    assert [w.id for w in first.waitlist] == [w.id for w in second.waitlist]


def test_about_eight_percent_of_bookings_cancel_late_and_three_to_five_percent_are_no_shows(world: World) -> None:
    month = [b for b in world.bookings if world.in_month(b.start)]
    fates = Counter(b.fate for b in month)
    assert 0.06 < fates[Fate.LATE_CANCEL] / len(month) < 0.10
    assert 0.03 <= fates[Fate.NO_SHOW] / len(month) <= 0.05
    assert all(b.cancel_at is not None and b.cancel_at < b.start for b in month if b.fate is Fate.LATE_CANCEL)


def test_every_waitlist_entry_wants_a_window_that_was_full_for_every_stylist_it_accepts(world: World) -> None:
    assert world.waitlist
    for entry in world.waitlist:
        service = world.dataset.services_by_id[entry.service_id]
        staff = entry.preferred_staff_ids or sorted(service.staff_ids)
        day = entry.preferred_windows[0].start.astimezone(world.dataset.zone).date()
        assert not _room_in(world.dataset, staff, day, entry.preferred_windows[0], service.duration_minutes, {})


def test_without_automation_nobody_is_messaged_and_freed_slots_fill_only_by_walk_ins(
        months: dict[Policy, PolicyMonth]) -> None:
    none = months[Policy.NONE]
    assert none.ledger.messages == [] and none.filled_by_messages == 0 and none.filled_organically > 0


def test_every_policy_faces_the_same_walk_ins_unless_its_offers_took_the_slot_first(
        months: dict[Policy, PolicyMonth]) -> None:
    none = months[Policy.NONE]
    for policy in (Policy.FCFS, Policy.BROADCAST):
        month = months[policy]
        assert month.filled_organically <= none.filled_organically
        assert month.filled_organically + month.filled_by_messages >= none.filled_organically


def test_one_at_a_time_sends_at_most_three_offers_per_freed_slot_and_fills_each_slot_at_most_once(
        months: dict[Policy, PolicyMonth]) -> None:
    fcfs = months[Policy.FCFS]
    assert 0 < fcfs.ledger.offers() <= MESSAGES_PER_SLOT * fcfs.holdout.treated
    assert fcfs.filled_by_messages + fcfs.filled_organically == fcfs.holdout.treated_won + fcfs.holdout.holdout_won


def test_a_broadcast_tells_everyone_at_once_so_it_sends_at_least_as_many_offers_and_fills_at_least_as_many_slots(
        months: dict[Policy, PolicyMonth]) -> None:
    fcfs, broadcast = months[Policy.FCFS], months[Policy.BROADCAST]
    assert broadcast.ledger.offers() >= fcfs.ledger.offers()
    assert broadcast.filled_by_messages >= fcfs.filled_by_messages


def test_the_baselines_remind_every_consenting_appointment_a_day_ahead_so_they_exceed_the_salons_daily_budget(
        world: World, months: dict[Policy, PolicyMonth]) -> None:
    reminders = [m for m in months[Policy.FCFS].ledger.messages if m.intent == "appointment_reminder"]
    per_day = Counter(m.at.astimezone(world.dataset.zone).date() for m in reminders)
    assert max(per_day.values()) > 100


def test_a_ledger_counts_a_customers_proactive_messages_in_the_last_seven_days_only(world: World) -> None:
    from salonflow_sim.ledger import SentMessage

    ledger = Ledger()
    start = world.start
    for days in (0, 3, 8):
        ledger.record(SentMessage(start + timedelta(days=days), "c1", "gap_fill_offer", "service"))
    ledger.record(SentMessage(start + timedelta(days=8), "c1", "booking_confirmed", "service"))
    assert ledger.proactive_this_week("c1", start + timedelta(days=8)) == 2
    assert ledger.proactive_count("c1") == 3
