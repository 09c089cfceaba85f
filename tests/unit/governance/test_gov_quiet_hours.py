from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from salonflow.governance.quiet_hours import QuietHours, Window, is_allowed_now, next_allowed_time
from salonflow.governance.types import MessageCategory

IST = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")
KOLKATA = QuietHours("Asia/Kolkata")


def ist(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=IST)


def test_a_service_message_inside_the_window_goes_now() -> None:
    now = ist(2024, 1, 15, 8, 0)
    assert next_allowed_time(now, MessageCategory.SERVICE, KOLKATA) == now


def test_a_marketing_message_at_nine_waits_until_ten_local() -> None:
    now = ist(2024, 1, 15, 9, 0)
    assert next_allowed_time(now, MessageCategory.MARKETING, KOLKATA) == ist(2024, 1, 15, 10, 0)


def test_a_late_evening_marketing_message_is_deferred_across_midnight_to_ten_next_morning() -> None:
    now = ist(2024, 1, 15, 20, 0)  # the window end is exclusive
    until = next_allowed_time(now, MessageCategory.MARKETING, KOLKATA)
    assert until == ist(2024, 1, 16, 10, 0)
    assert until.astimezone(UTC) == datetime(2024, 1, 16, 4, 30, tzinfo=UTC)


def test_a_service_message_just_after_midnight_waits_for_eight_the_same_day() -> None:
    now = ist(2024, 1, 16, 0, 30)
    assert next_allowed_time(now, MessageCategory.SERVICE, KOLKATA) == ist(2024, 1, 16, 8, 0)


def test_utc_instants_are_judged_on_the_salons_wall_clock() -> None:
    # 15:00 UTC is 20:30 IST: past the promotional window although 15:00 looks harmless.
    now = datetime(2024, 1, 15, 15, 0, tzinfo=UTC)
    assert not is_allowed_now(now, MessageCategory.MARKETING, KOLKATA)
    assert is_allowed_now(now, MessageCategory.SERVICE, KOLKATA)


def test_deferral_over_the_spring_forward_night_in_london_lands_on_ten_bst() -> None:
    quiet = QuietHours("Europe/London")
    now = datetime(2024, 3, 30, 21, 0, tzinfo=LONDON)  # GMT; clocks go forward at 01:00 on 31 March
    until = next_allowed_time(now, MessageCategory.MARKETING, quiet)
    assert until.astimezone(LONDON).time() == time(10, 0)
    assert until == datetime(2024, 3, 31, 9, 0, tzinfo=UTC)  # 10:00 BST


def test_deferral_over_the_autumn_night_in_london_lands_on_ten_gmt() -> None:
    quiet = QuietHours("Europe/London")
    now = datetime(2024, 10, 26, 22, 0, tzinfo=LONDON)  # BST; clocks go back on 27 October
    until = next_allowed_time(now, MessageCategory.MARKETING, quiet)
    assert until == datetime(2024, 10, 27, 10, 0, tzinfo=UTC)  # 10:00 GMT


def test_a_configured_marketing_window_is_clamped_inside_nine_to_nine() -> None:
    quiet = QuietHours.from_settings("Asia/Kolkata", {"promotional": {"allowed_from": "07:00",
                                                                      "allowed_until": "23:00"}})
    assert quiet.marketing == Window(time(9, 0), time(21, 0))
    assert next_allowed_time(ist(2024, 1, 15, 8, 0), MessageCategory.MARKETING, quiet) == ist(2024, 1, 15, 9, 0)


def test_a_stricter_configured_window_is_used() -> None:
    quiet = QuietHours.from_settings("Asia/Kolkata", {"service": {"allowed_from": "09:30",
                                                                  "allowed_until": "19:00"}})
    assert next_allowed_time(ist(2024, 1, 15, 19, 0), MessageCategory.SERVICE, quiet) == ist(2024, 1, 16, 9, 30)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        next_allowed_time(datetime(2024, 1, 15, 12, 0), MessageCategory.SERVICE, KOLKATA)
