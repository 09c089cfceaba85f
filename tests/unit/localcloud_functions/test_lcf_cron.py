from datetime import UTC, datetime

import pytest
from localcloud.functions.cron import CronError, parse_cron


def test_every_five_minutes_fires_on_multiples_of_five_only() -> None:
    schedule = parse_cron("*/5 * * * *")
    assert schedule.matches(datetime(2026, 11, 25, 10, 15, tzinfo=UTC))
    assert not schedule.matches(datetime(2026, 11, 25, 10, 16, tzinfo=UTC))


def test_midnight_in_kolkata_is_half_past_six_in_the_evening_utc() -> None:
    schedule = parse_cron("0 0 * * *", "Asia/Kolkata")
    assert schedule.next_after(datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) == datetime(
        2026, 11, 25, 18, 30, tzinfo=UTC
    )


def test_restricted_day_of_month_and_weekday_match_either_as_classic_cron_does() -> None:
    schedule = parse_cron("0 9 1 * mon")
    assert schedule.matches(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # a Tuesday, but the 1st
    assert schedule.matches(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # a Monday
    assert not schedule.matches(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


def test_sunday_may_be_written_as_zero_or_seven() -> None:
    sunday = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    assert parse_cron("0 0 * * 0").matches(sunday)
    assert parse_cron("0 0 * * 7").matches(sunday)


@pytest.mark.parametrize("expression", ["* * * *", "61 * * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"])
def test_malformed_expressions_are_rejected_with_a_clear_error(expression: str) -> None:
    with pytest.raises(CronError):
        parse_cron(expression)
