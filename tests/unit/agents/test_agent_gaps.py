from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from salonflow.agents.gaps import detect_gaps, reconcile_gaps
from salonflow.agents.snapshot import Interval
from salonflow.domain.enums import BookingStatus, GapPriority, GapStatus
from salonflow.domain.ids import gap_id
from test_agent_builders import DAY, IST, SERVICES, at, booking, gap, salon, snapshot, staff

NOW = at(8)


def spans(gaps: list) -> list[tuple[str, str]]:
    return [(g.start.astimezone(IST).strftime("%H:%M"), g.end.astimezone(IST).strftime("%H:%M")) for g in gaps]


def test_an_empty_day_gives_one_gap_before_and_one_after_the_break() -> None:
    found = detect_gaps(snapshot(), NOW, days=[DAY])
    assert spans(found) == [("10:00", "13:00"), ("14:00", "19:00")]
    assert found[0].duration_minutes == 180
    assert found[0].date == DAY


def test_gaps_stop_at_the_salon_opening_and_closing_edges() -> None:
    # Rahul works 09:00-21:00, but the salon is only open 10:00-20:00.
    snap = snapshot(staff={"staff_rahul": staff(hours=("09:00", "21:00"), breaks=())})
    assert spans(detect_gaps(snap, NOW, days=[DAY])) == [("10:00", "20:00")]


def test_bookings_at_opening_and_closing_leave_only_the_middle() -> None:
    snap = snapshot(staff={"staff_rahul": staff(breaks=())},
                    bookings=(booking("b1", at(10), 60), booking("b2", at(18), 60)))
    assert spans(detect_gaps(snap, NOW, days=[DAY])) == [("11:00", "18:00")]


def test_back_to_back_bookings_leave_no_gap_between_them() -> None:
    snap = snapshot(staff={"staff_rahul": staff(breaks=())},
                    bookings=(booking("b1", at(10), 60), booking("b2", at(11), 120), booking("b3", at(13), 30)))
    assert spans(detect_gaps(snap, NOW, days=[DAY])) == [("13:30", "19:00")]


def test_overlapping_bookings_merge_instead_of_double_counting() -> None:
    snap = snapshot(staff={"staff_rahul": staff(breaks=())},
                    bookings=(booking("b1", at(10), 90), booking("b2", at(11), 60), booking("b3", at(11, 30), 90)))
    assert spans(detect_gaps(snap, NOW, days=[DAY])) == [("13:00", "19:00")]


def test_a_free_stretch_shorter_than_the_shortest_service_is_not_a_gap() -> None:
    # 10:00-10:20 free (shortest service is the 30-minute beard trim; the 15-minute add-on does not count).
    snap = snapshot(staff={"staff_rahul": staff(breaks=())},
                    bookings=(booking("b1", at(10, 20), 520),))
    assert detect_gaps(snap, NOW, days=[DAY]) == []


def test_a_thirty_minute_hole_is_a_gap_that_fits_only_the_trim() -> None:
    snap = snapshot(staff={"staff_rahul": staff(breaks=())},
                    bookings=(booking("b1", at(10), 60), booking("b2", at(11, 30), 450)))
    [only] = detect_gaps(snap, NOW, days=[DAY])
    assert spans([only]) == [("11:00", "11:30")]
    assert only.services_fittable == ("svc_trim",)
    assert only.potential_revenue == 200


def test_leave_removes_the_time_it_covers() -> None:
    leave = Interval(at(15), at(19))
    snap = snapshot(staff={"staff_rahul": staff(leave=(leave,))})
    assert spans(detect_gaps(snap, NOW, days=[DAY])) == [("10:00", "13:00"), ("14:00", "15:00")]


def test_a_whole_day_of_leave_means_no_gaps() -> None:
    leave = Interval(at(0), at(0, day=DAY + timedelta(days=1)))
    assert detect_gaps(snapshot(staff={"staff_rahul": staff(leave=(leave,))}), NOW, days=[DAY]) == []


def test_cancelled_bookings_free_their_time() -> None:
    snap = snapshot(staff={"staff_rahul": staff(breaks=())},
                    bookings=(booking("b1", at(10), 540, status=BookingStatus.CANCELLED),))
    assert spans(detect_gaps(snap, NOW, days=[DAY])) == [("10:00", "19:00")]


def test_potential_revenue_packs_services_back_to_back_and_fittable_is_by_price() -> None:
    [morning, _] = detect_gaps(snapshot(), NOW, days=[DAY])
    assert morning.services_fittable == ("svc_color", "svc_cut", "svc_trim")
    # 180 minutes: colour (120, ₹2500) + haircut (60, ₹500) = ₹3000.
    assert morning.potential_revenue == 3000


def test_gap_ids_are_deterministic_so_reruns_find_the_same_document() -> None:
    first = detect_gaps(snapshot(), NOW, days=[DAY])
    again = detect_gaps(snapshot(), NOW + timedelta(minutes=5), days=[DAY])
    assert [g.id for g in first] == [g.id for g in again]
    assert first[0].id == gap_id("salon_1", "staff_rahul", at(10), at(13))


def test_priority_rises_as_the_gap_gets_closer() -> None:
    [morning, afternoon] = detect_gaps(snapshot(), at(9, 30), days=[DAY])
    assert morning.priority is GapPriority.CRITICAL
    tomorrow = detect_gaps(snapshot(), at(9, 30), days=[DAY + timedelta(days=2)])
    assert all(g.priority in (GapPriority.LOW, GapPriority.MEDIUM) for g in tomorrow)
    assert morning.priority_score > afternoon.priority_score >= tomorrow[0].priority_score


def test_the_unsellable_rest_of_a_started_gap_is_left_out() -> None:
    # At 12:45 only 15 minutes of the 10:00-13:00 gap remain: shorter than any service.
    assert spans(detect_gaps(snapshot(), at(12, 45), days=[DAY])) == [("14:00", "19:00")]


def test_ist_gaps_are_stored_as_utc_instants() -> None:
    [morning, _] = detect_gaps(snapshot(), NOW, days=[DAY])
    assert morning.start == datetime(2026, 1, 14, 4, 30, tzinfo=ZoneInfo("UTC"))


def test_london_spring_forward_day_keeps_wall_clock_edges() -> None:
    london = ZoneInfo("Europe/London")
    day = date(2026, 3, 29)  # clocks go 01:00 -> 02:00
    snap = snapshot(salon=salon("Europe/London", opening=("00:30", "12:00")),
                    staff={"staff_rahul": staff(hours=("00:30", "12:00"), breaks=())})
    [only] = detect_gaps(snap, datetime(2026, 3, 28, 12, tzinfo=london), days=[day])
    assert only.start == datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 GMT
    assert only.end == datetime(2026, 3, 29, 11, 0, tzinfo=ZoneInfo("UTC"))  # 12:00 BST
    assert only.duration_minutes == 10 * 60 + 30  # one hour shorter than the wall clock suggests


def test_new_york_fall_back_day_has_an_extra_hour() -> None:
    ny = ZoneInfo("America/New_York")
    day = date(2026, 11, 1)  # clocks go 02:00 -> 01:00
    snap = snapshot(salon=salon("America/New_York", opening=("00:00", "10:00")),
                    staff={"staff_rahul": staff(hours=("00:00", "10:00"), breaks=())})
    [only] = detect_gaps(snap, datetime(2026, 10, 31, 12, tzinfo=ny), days=[day])
    assert only.duration_minutes == 11 * 60
    assert only.start.astimezone(ny).hour == 0 and only.end.astimezone(ny).hour == 10


def test_a_closed_salon_day_has_no_gaps_even_if_staff_are_scheduled() -> None:
    closed = salon()
    closed = type(closed)(id=closed.id, name=closed.name, timezone=closed.timezone,
                          opening_hours={d: s for d, s in closed.opening_hours.items() if d.value != "wednesday"})
    assert detect_gaps(snapshot(salon=closed), NOW, days=[DAY]) == []


def test_a_booking_in_a_stored_gap_marks_it_filled_and_the_rest_becomes_a_new_gap() -> None:
    stored = gap(gap_id("salon_1", "staff_rahul", at(14), at(19)), at(14), at(19))
    snap = snapshot(gaps=(stored,), bookings=(booking("b_new", at(14), 60),))
    changes = reconcile_gaps(snap, NOW, days=[DAY])
    assert changes.filled == ((stored.id, "b_new"),)
    assert spans(list(changes.new)) == [("10:00", "13:00"), ("15:00", "19:00")]


def test_past_gaps_expire_and_unchanged_ones_stay_open() -> None:
    yesterday = DAY - timedelta(days=1)
    old = gap("gap_old", at(14, day=yesterday), at(19, day=yesterday))
    current = gap(gap_id("salon_1", "staff_rahul", at(14), at(19)), at(14), at(19))
    changes = reconcile_gaps(snapshot(gaps=(old, current)), NOW, days=[DAY])
    assert changes.expired == ("gap_old",)
    assert [g.id for g in changes.still_open] == [current.id]


def test_a_gap_that_vanished_without_a_booking_is_ignored() -> None:
    stored = gap(gap_id("salon_1", "staff_rahul", at(14), at(19)), at(14), at(19))
    leave = Interval(at(14), at(19))
    changes = reconcile_gaps(snapshot(gaps=(stored,), staff={"staff_rahul": staff(leave=(leave,))}), NOW, days=[DAY])
    assert changes.ignored == (stored.id,)


def test_a_filled_gap_whose_booking_is_cancelled_reopens() -> None:
    stored = gap(gap_id("salon_1", "staff_rahul", at(14), at(19)), at(14), at(19), status=GapStatus.FILLED,
                 filled_by="b1")
    changes = reconcile_gaps(snapshot(gaps=(stored,)), NOW, days=[DAY])
    assert [g.id for g in changes.reopened] == [stored.id]


def test_services_nobody_performs_are_not_fittable() -> None:
    only_cuts = snapshot(staff={"staff_rahul": staff(services=("svc_cut",), breaks=())}, services=SERVICES)
    [g] = detect_gaps(only_cuts, NOW, days=[DAY])
    assert g.services_fittable == ("svc_cut",)
