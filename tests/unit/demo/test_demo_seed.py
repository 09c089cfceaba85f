"""The demo salon generator: deterministic, valid, and believable where the agents look."""

from __future__ import annotations

import itertools
import re
import statistics
import time
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from salonflow.domain import (
    AGENT_NAMES,
    AUTONOMY_FLOOR,
    AgentState,
    Booking,
    BookingStatus,
    ConfirmationStatus,
    ConsentChannel,
    Customer,
    CustomerScore,
    CustomerSegment,
    MessageCategory,
    MessageIntent,
    SalonRole,
    Service,
    Staff,
    WaitlistEntry,
    Weekday,
)
from salonflow_demo.seed import (
    SalonDataset,
    booking_to_cancel,
    build_salon,
    free_slots,
    lapsing_regular,
    lapsing_regulars,
    likely_no_show,
    waitlist_entries_for_slot,
    waitlist_match,
)
from salonflow_demo.seed_schedule import free_spans, local_minute

DAY = date(2026, 11, 28)  # a Saturday
INDIAN_MOBILE = re.compile(r"^\+91[6-9][0-9]{9}$")


@pytest.fixture(scope="module")
def salon() -> SalonDataset:
    return build_salon(7, salon_id="salon_demo", day=DAY)


@pytest.fixture(scope="module")
def variants() -> list[SalonDataset]:
    """Other seeds, a Monday (the short day), a tiny salon and a bench-sized one with a fixed booking count."""
    return [
        build_salon(1, salon_id="salon_a", day=date(2026, 11, 30)),
        build_salon(2, salon_id="salon_b", day=date(2026, 12, 2), staff=3, services=8, customers=60, history_days=90),
        build_salon(3, salon_id="salon_c", day=DAY, staff=1, services=5, customers=15, ahead_days=0),
        build_salon(4, salon_id="salon_d", day=DAY, staff=10, customers=2000, bookings_per_day=150),
    ]


def _documents(dataset: SalonDataset) -> list[dict[str, object]]:
    models = [dataset.salon, *dataset.staff, *dataset.services, *dataset.customers, *dataset.bookings,
              *dataset.waitlist, *dataset.customer_scores, *dataset.agent_states]
    return [model.to_firestore() for model in models]


def _local(moment: datetime, dataset: SalonDataset) -> datetime:
    return moment.astimezone(dataset.zone)


def test_the_same_seed_builds_the_same_salon_and_another_seed_a_different_one(salon: SalonDataset) -> None:
    again = build_salon(7, salon_id="salon_demo", day=DAY)
    assert _documents(again) == _documents(salon)
    other = build_salon(8, salon_id="salon_demo", day=DAY)
    assert {c.phone for c in other.customers} != {c.phone for c in salon.customers}


def test_every_document_is_a_domain_model_that_survives_a_firestore_round_trip(salon: SalonDataset) -> None:
    groups: list[tuple[type, tuple[object, ...]]] = [
        (Staff, salon.staff), (Service, salon.services), (Customer, salon.customers), (Booking, salon.bookings),
        (WaitlistEntry, salon.waitlist), (CustomerScore, salon.customer_scores), (AgentState, salon.agent_states),
    ]
    for model_type, models in groups:
        assert models, model_type.__name__
        for model in models:
            assert isinstance(model, model_type)
            assert model.salon_id == "salon_demo"  # type: ignore[attr-defined]
            restored = model_type.from_firestore(model.document_id, model.to_firestore())  # type: ignore[attr-defined]
            assert restored == model
    ids = [b.id for b in salon.bookings]
    assert len(ids) == len(set(ids))


def test_the_salon_opens_ten_to_eight_tuesday_to_sunday_and_keeps_monday_short(salon: SalonDataset) -> None:
    hours = {day: [(r.start.strftime("%H:%M"), r.end.strftime("%H:%M")) for r in ranges]
             for day, ranges in salon.salon.opening_hours.items()}
    for day in Weekday:
        if day is Weekday.MONDAY:
            assert hours[day] == [("11:00", "17:00")]
        else:
            assert hours[day] == [("10:00", "20:00")]


def test_the_salon_settings_are_governed_as_the_spec_requires(salon: SalonDataset) -> None:
    settings = salon.salon
    for decision_type, level in settings.autonomy.items():
        assert level.at_least(AUTONOMY_FLOOR[decision_type])
    assert settings.quiet_hours.service.allowed_from.hour == 8
    assert settings.quiet_hours.promotional.allowed_until.hour == 20
    assert {a.role for a in settings.approvers} == {SalonRole.OWNER, SalonRole.MANAGER}
    assert all(INDIAN_MOBILE.match(a.phone) for a in settings.approvers)
    assert set(settings.whatsapp_templates) == {intent.value for intent in MessageIntent}
    assert all(re.match(r"^HX[0-9a-f]{32}$", sid) for sid in settings.whatsapp_templates.values())
    assert len(set(settings.whatsapp_templates.values())) == len(MessageIntent)
    assert settings.whatsapp_sender is not None and INDIAN_MOBILE.match(settings.whatsapp_sender)
    assert settings.holdout_share == 0.10
    assert settings.offers.allowed and settings.offers.max_discount_percent == 20
    assert settings.currency == "INR" and settings.timezone == "Asia/Kolkata"


def test_services_are_priced_in_rupees_like_an_indian_salon_and_someone_performs_each(salon: SalonDataset) -> None:
    by_name = {s.name: s for s in salon.services}
    assert len(salon.services) == 15

    def rupees(fragment: str) -> int:
        return next(s.price_paise for name, s in by_name.items() if fragment in name) // 100

    assert 400 <= rupees("Haircut & Blow-dry") <= 800
    assert 400 <= rupees("Men's Haircut") <= 800
    assert 2500 <= rupees("Hair Colour") <= 4500
    assert rupees("Keratin") >= 6000
    assert all(1200 <= s.price_paise // 100 <= 2500 for s in salon.services if s.category == "skin")
    assert 80 <= rupees("Threading") <= 150
    for fragment in ("Waxing", "Manicure", "Pedicure", "Head Massage", "Bridal", "Beard"):
        assert any(fragment in name for name in by_name), fragment
    add_ons = {s.name for s in salon.services if s.is_add_on}
    assert any("Head Massage" in n for n in add_ons) and any("Beard" in n for n in add_ons)
    staff = salon.staff_by_id
    for service in salon.services:
        assert service.duration_minutes % 15 == 0 and service.cost_paise < service.price_paise
        assert service.staff_ids
        assert all(service.id in staff[sid].service_ids for sid in service.staff_ids)


def test_no_staff_member_is_ever_booked_twice_at_once(salon: SalonDataset, variants: list[SalonDataset]) -> None:
    for dataset in [salon, *variants]:
        by_staff: dict[str, list[Booking]] = {}
        for booking in dataset.bookings:
            by_staff.setdefault(booking.staff_id, []).append(booking)
        for bookings in by_staff.values():
            ordered = sorted(bookings, key=lambda b: b.start_time)
            for earlier, later in itertools.pairwise(ordered):
                assert earlier.end_time <= later.start_time, (earlier.id, later.id)


def test_no_customer_is_ever_booked_in_two_places_at_once(salon: SalonDataset, variants: list[SalonDataset]) -> None:
    for dataset in [salon, *variants]:
        for bookings in dataset.bookings_by_customer.values():
            held = [b for b in bookings if b.status is not BookingStatus.CANCELLED]
            for earlier, later in itertools.pairwise(held):
                assert earlier.end_time <= later.start_time, (earlier.id, later.id)


def test_every_booking_falls_in_its_staff_members_hours_avoiding_breaks_leave_and_closed_days(
    salon: SalonDataset, variants: list[SalonDataset],
) -> None:
    for dataset in [salon, *variants]:
        for booking in dataset.bookings:
            member = dataset.staff_by_id[booking.staff_id]
            service = dataset.services_by_id[booking.service_id]
            day = _local(booking.start_time, dataset).date()
            start = local_minute(booking.start_time, day, dataset.zone)
            end = local_minute(booking.end_time, day, dataset.zone)
            assert any(s <= start and end <= e for s, e in free_spans(member, dataset.salon, day)), booking.id
            assert not member.on_leave(booking.start_time, booking.end_time)
            assert member.performs(service.id)
            assert booking.duration_minutes == service.duration_minutes
            assert booking.price_paise + booking.discount_paise == service.price_paise


def test_the_demo_day_fills_seventy_to_eighty_five_percent_of_each_working_staff_members_time(
    salon: SalonDataset, variants: list[SalonDataset],
) -> None:
    for dataset in [salon, *variants[:2]]:
        day_bookings = dataset.bookings_on(dataset.day)
        assert all(b.status in (BookingStatus.BOOKED, BookingStatus.CONFIRMED) for b in day_bookings)
        working = 0
        for member in dataset.staff:
            free = sum(e - s for s, e in free_spans(member, dataset.salon, dataset.day))
            if not free:
                continue
            working += 1
            booked = sum(b.duration_minutes for b in day_bookings if b.staff_id == member.id)
            assert 0.70 <= booked / free <= 0.85, (dataset.salon.id, member.name, booked, free)
        assert working >= 1
    statuses = Counter(b.confirmation_status for b in salon.bookings_on(DAY))
    assert statuses[ConfirmationStatus.CONFIRMED] > 0
    assert statuses[ConfirmationStatus.NOT_REQUESTED] + statuses[ConfirmationStatus.REQUESTED] > 0


def test_the_whole_team_works_the_demo_day_but_one_leaves_early_and_one_is_off_the_next_day(salon: SalonDataset) -> None:
    assert all(member.shifts_on(DAY) for member in salon.staff)
    start_of = salon.as_of
    today = [m for m in salon.staff if m.on_leave(start_of, start_of + timedelta(days=1))]
    tomorrow = [m for m in salon.staff if m.on_leave(start_of + timedelta(days=1), start_of + timedelta(days=2))]
    assert len(today) == 1 and len(tomorrow) == 1 and today != tomorrow
    assert not any(b.staff_id == tomorrow[0].id for b in salon.bookings_on(DAY + timedelta(days=1)))
    assert any(m.on_leave(start_of - timedelta(days=180), start_of - timedelta(days=1)) for m in salon.staff)
    assert all(member.breaks_on(DAY) for member in salon.staff)


def test_a_fixed_booking_count_is_met_exactly_and_a_bench_salon_builds_in_under_two_seconds(
    variants: list[SalonDataset],
) -> None:
    bench = variants[3]
    assert len(bench.bookings_on(DAY)) == 150
    started = time.process_time()  # CPU time: other test processes on the machine do not count
    build_salon(5, salon_id="salon_bench", day=DAY, staff=10, customers=2000, bookings_per_day=150)
    assert time.process_time() - started < 2.0


def test_phone_numbers_are_unique_valid_indian_mobiles(salon: SalonDataset, variants: list[SalonDataset]) -> None:
    for dataset in [salon, variants[3]]:
        phones = [c.phone for c in dataset.customers] + [s.phone for s in dataset.staff if s.phone]
        phones += [a.phone for a in dataset.salon.approvers] + [dataset.salon.whatsapp_sender or ""]
        assert len(phones) == len(set(phones))
        assert all(INDIAN_MOBILE.match(p) for p in phones)


def test_most_customers_take_whatsapp_service_messages_fewer_marketing_and_a_few_opted_out(salon: SalonDataset) -> None:
    customers = salon.customers
    share = {
        key: sum(c.can_contact(*key) for c in customers) / len(customers)
        for key in itertools.product((ConsentChannel.WHATSAPP, ConsentChannel.SMS), MessageCategory)
    }
    assert 0.80 <= share[(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)] <= 0.95
    assert 0.35 <= share[(ConsentChannel.WHATSAPP, MessageCategory.MARKETING)] <= 0.70
    assert 0.15 <= share[(ConsentChannel.SMS, MessageCategory.SERVICE)] <= 0.45
    assert share[(ConsentChannel.SMS, MessageCategory.MARKETING)] < share[(ConsentChannel.SMS, MessageCategory.SERVICE)]
    revoked = [r for c in customers for per in c.consent.values() for r in per.values() if not r.granted]
    assert 5 <= len(revoked) <= 60
    assert any(not c.consent for c in customers)  # walk-ins never asked
    assert {c.language for c in customers} == {"en", "hi"}
    for customer in customers:
        for per_category in customer.consent.values():
            for record in per_category.values():
                assert record.granted_at is not None and customer.created_at <= record.granted_at <= salon.as_of
                if not record.granted:
                    assert record.revoked_at is not None and record.granted_at < record.revoked_at <= salon.as_of


def test_history_holds_no_shows_and_late_cancellations_concentrated_in_a_few_customers(salon: SalonDataset) -> None:
    history = salon.history
    assert all(b.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED) for b in history)
    assert all(b.updated_at <= salon.as_of and b.created_at <= b.start_time for b in history)
    assert min(b.start_time for b in history) >= salon.as_of - timedelta(days=181)
    no_shows = [b for b in history if b.status is BookingStatus.NO_SHOW]
    late = [b for b in history if b.late_cancellation]
    assert 0.02 <= len(no_shows) / len(history) <= 0.07
    assert 0.03 <= len(late) / len(history) <= 0.12
    assert all(b.cancelled_at and b.start_time - b.cancelled_at < timedelta(hours=24) for b in late)
    early = [b for b in history if b.status is BookingStatus.CANCELLED and not b.late_cancellation]
    assert early and all(b.cancelled_at and b.start_time - b.cancelled_at >= timedelta(hours=24) for b in early)
    repeat = Counter(b.customer_id for b in no_shows)
    assert any(n >= 2 for n in repeat.values())
    assert len(repeat) < 0.20 * len(salon.customers)


def _visit_days(dataset: SalonDataset, customer_id: str) -> list[date]:
    return sorted({_local(b.start_time, dataset).date() for b in dataset.bookings_by_customer.get(customer_id, [])
                   if b.status is BookingStatus.COMPLETED and b.start_time < dataset.as_of})


def test_regulars_come_every_three_to_six_weeks_and_lapsing_ones_stopped_coming(salon: SalonDataset) -> None:
    by_persona: dict[str, list[str]] = {}
    for customer_id, profile in salon.profiles.items():
        by_persona.setdefault(profile.persona, []).append(customer_id)
    regular_intervals = []
    for customer_id in by_persona["regular"]:
        days = _visit_days(salon, customer_id)
        if len(days) >= 3:
            regular_intervals.append(statistics.median((b - a).days for a, b in itertools.pairwise(days)))
    assert len(regular_intervals) > 50
    assert 21 <= statistics.median(regular_intervals) <= 42
    lapsed = 0
    for customer_id in by_persona["lapsing"]:
        days = _visit_days(salon, customer_id)
        usual = statistics.median((b - a).days for a, b in itertools.pairwise(days)) if len(days) >= 2 else None
        if usual:
            lapsed += (DAY - days[-1]).days > 3 * usual
        assert not [b for b in salon.bookings_by_customer.get(customer_id, []) if b.start_time >= salon.as_of]
    assert lapsed >= 0.8 * len(by_persona["lapsing"])
    assert all(len(_visit_days(salon, c)) <= 1 for c in by_persona["one_time"] + by_persona["new"])
    assert all(not [b for b in salon.history if b.customer_id == c] for c in by_persona["first_timer"])


def test_scores_are_the_agents_own_and_put_lapsing_regulars_at_risk(salon: SalonDataset) -> None:
    segments = Counter(s.segment for s in salon.customer_scores)
    assert segments[CustomerSegment.AT_RISK] >= 5 and segments[CustomerSegment.REGULAR] >= 50
    assert segments[CustomerSegment.NEW] >= 10
    assert segments[CustomerSegment.VIP] + segments[CustomerSegment.HIGH_VALUE] >= 5
    at_risk = [s for s in salon.customer_scores if s.segment is CustomerSegment.AT_RISK]
    stopped_coming = {"lapsed", "overdue", "no_return_after_first_visit"}
    assert all(stopped_coming & set(s.churn_risk.factors) for s in at_risk)
    assert all(s.churn_risk.last_assessment == DAY for s in salon.customer_scores)


def test_the_seven_agents_start_active_and_due_at_the_start_of_the_day(salon: SalonDataset) -> None:
    assert [s.agent_name for s in salon.agent_states] == list(AGENT_NAMES)
    assert all(s.status.value == "active" and s.next_scheduled == salon.as_of for s in salon.agent_states)
    assert _local(salon.as_of, salon).hour == 0 and _local(salon.as_of, salon).date() == DAY
    assert not build_salon(7, salon_id="salon_demo", day=DAY, customers=20, agent_states=False).agent_states


def test_the_booking_to_cancel_is_the_next_one_whose_customer_takes_whatsapp(salon: SalonDataset) -> None:
    at = salon.as_of + timedelta(hours=12)  # noon
    chosen = booking_to_cancel(salon, at)
    assert chosen is not None and chosen.start_time >= at + timedelta(minutes=60)
    customer = salon.customers_by_id[chosen.customer_id]
    assert customer.can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)
    earlier = [b for b in salon.bookings_on(DAY) if at + timedelta(minutes=60) <= b.start_time < chosen.start_time
               and not salon.services_by_id[b.service_id].is_add_on]
    assert all(not salon.customers_by_id[b.customer_id].can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)
               or any(a.start_time == b.end_time and a.staff_id == b.staff_id for a in salon.bookings_on(DAY))
               for b in earlier)
    assert booking_to_cancel(salon, at, exclude={chosen.id}) != chosen


def test_the_likely_no_show_is_unconfirmed_booked_weeks_ago_by_someone_who_missed_before(salon: SalonDataset) -> None:
    booking = likely_no_show(salon, after=salon.as_of + timedelta(hours=12))
    assert booking is not None
    assert booking.status is BookingStatus.BOOKED and booking.confirmation_status is not ConfirmationStatus.CONFIRMED
    assert any(b.status is BookingStatus.NO_SHOW for b in salon.bookings_by_customer[booking.customer_id])
    assert salon.customers_by_id[booking.customer_id].can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)
    # The generator plants such a booking in the afternoon, made weeks ahead (a risk factor of its own).
    planted = [b for b in salon.bookings_on(DAY)
               if b.status is BookingStatus.BOOKED and b.start_time - b.created_at > timedelta(days=14)
               and any(p.status is BookingStatus.NO_SHOW for p in salon.bookings_by_customer[b.customer_id])]
    assert planted


def test_a_lapsing_regular_is_at_risk_reachable_for_marketing_and_has_nothing_booked(salon: SalonDataset) -> None:
    customer = lapsing_regular(salon)
    assert customer is not None and len(lapsing_regulars(salon)) >= 3
    assert customer.can_contact(ConsentChannel.WHATSAPP, MessageCategory.MARKETING)
    assert salon.scores_by_customer[customer.id].segment is CustomerSegment.AT_RISK
    assert not [b for b in salon.bookings_by_customer[customer.id] if b.start_time >= salon.as_of]
    assert len(_visit_days(salon, customer.id)) >= 2


def test_a_waitlisted_customer_fits_a_slot_that_is_free_on_the_demo_day(salon: SalonDataset) -> None:
    match = waitlist_match(salon, at=salon.as_of + timedelta(hours=10))
    assert match is not None
    assert _local(match.start, salon).date() == DAY
    assert match.entry.fits(match.staff_id, match.start, match.end)
    assert salon.services_by_id[match.entry.service_id].staff_ids.count(match.staff_id) == 1
    assert any(f.start <= match.start and match.end <= f.end for f in free_slots(salon, match.staff_id, DAY))
    assert not any(b.overlaps(match.start, match.end) for b in salon.bookings_on(DAY) if b.staff_id == match.staff_id)
    customer = salon.customers_by_id[match.entry.customer_id]
    assert customer.can_contact(ConsentChannel.WHATSAPP, MessageCategory.SERVICE)
    assert not [b for b in salon.bookings_by_customer.get(customer.id, []) if b.start_time >= salon.as_of]


def test_an_afternoon_cancellation_on_the_demo_day_usually_suits_someone_on_the_waitlist(salon: SalonDataset) -> None:
    afternoon = [b for b in salon.bookings_on(DAY)
                 if 13 <= _local(b.start_time, salon).hour < 18 and not salon.services_by_id[b.service_id].is_add_on]
    suited = [b for b in afternoon if waitlist_entries_for_slot(salon, b.staff_id, b.start_time, b.end_time)]
    assert len(suited) >= 3
