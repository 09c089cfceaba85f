from datetime import UTC, datetime, timedelta

from salonflow.governance.rate_limits import (
    Counter,
    CustomerSend,
    CustomerWindow,
    Limits,
    check_counters,
    check_customer_window,
    day_period,
    hour_period,
    rate_limits_view,
    resolve_limits,
)

NOW = datetime(2024, 1, 15, 10, 45, tzinfo=UTC)  # 16:15 IST


def test_defaults_are_the_spec_numbers() -> None:
    limits = resolve_limits()
    assert (limits.hourly_actions, limits.daily_actions) == (20, 100)
    assert (limits.per_customer_hourly, limits.per_customer_daily) == (1, 3)
    assert limits.salon_hourly_actions is None


def test_agent_config_sets_the_agent_limits_and_salon_overrides_add_a_salon_cap() -> None:
    limits = resolve_limits({"max_hourly_actions": 5, "max_daily_actions": 0},
                            {"hourly_actions": 30, "per_customer_daily": 2})
    assert (limits.hourly_actions, limits.daily_actions) == (5, 0)
    assert limits.salon_hourly_actions == 30
    assert limits.per_customer_daily == 2


def test_customer_limits_can_never_be_loosened() -> None:
    limits = resolve_limits(None, {"per_customer_hourly": 5, "per_customer_daily": 10})
    assert (limits.per_customer_hourly, limits.per_customer_daily) == (1, 3)


def test_hour_and_day_windows_follow_the_salons_clock() -> None:
    hour = hour_period(NOW, "Asia/Kolkata")
    assert hour.key == "2024-01-15T16+0530"
    assert hour.starts_at == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    day = day_period(datetime(2024, 1, 15, 19, 0, tzinfo=UTC), "Asia/Kolkata")  # 00:30 IST on the 16th
    assert day.key == "2024-01-16"
    assert day.resets_at == datetime(2024, 1, 16, 18, 30, tzinfo=UTC)


def test_the_repeated_hour_of_a_dst_fall_back_gets_its_own_window() -> None:
    first = hour_period(datetime(2024, 10, 27, 0, 30, tzinfo=UTC), "Europe/London")  # 01:30 BST
    second = hour_period(datetime(2024, 10, 27, 1, 30, tzinfo=UTC), "Europe/London")  # 01:30 GMT
    assert first.key != second.key


def counter(limit: int, n: int) -> Counter:
    return Counter("agent", hour_period(NOW, "Asia/Kolkata"), limit, tuple(f"r{i}" for i in range(n)))


def test_a_full_counter_defers_until_the_window_resets() -> None:
    hit = check_counters([counter(20, 20)], "new")
    assert hit is not None
    assert hit.reason == "agent_hourly_limit"
    assert hit.until == datetime(2024, 1, 15, 11, 30, tzinfo=UTC)
    assert check_counters([counter(20, 19)], "new") is None


def test_a_reservation_already_held_is_not_counted_twice() -> None:
    assert check_counters([counter(20, 20)], "r3") is None


def test_one_outreach_per_customer_per_sliding_hour() -> None:
    window = CustomerWindow((CustomerSend("a", NOW - timedelta(minutes=59)),))
    hit = check_customer_window(window, NOW, Limits(), "b")
    assert hit is not None and hit.reason == "customer_hourly_limit"
    assert hit.until == NOW + timedelta(minutes=1)
    assert check_customer_window(window, NOW + timedelta(minutes=1), Limits(), "b") is None


def test_three_outreach_per_customer_per_rolling_day() -> None:
    sends = tuple(CustomerSend(f"s{i}", NOW - timedelta(hours=h)) for i, h in enumerate((2, 5, 23)))
    hit = check_customer_window(CustomerWindow(sends), NOW, Limits(), "new")
    assert hit is not None and hit.reason == "customer_daily_limit"
    assert hit.until == NOW + timedelta(hours=1)  # when the 23-hour-old send ages out


def test_the_rate_limits_view_has_the_spec_shape() -> None:
    day = Counter("agent", day_period(NOW, "Asia/Kolkata"), 100, tuple(f"d{i}" for i in range(45)))
    assert rate_limits_view(counter(20, 15), day) == {
        "hourly_actions": {"limit": 20, "current": 15, "remaining": 5},
        "daily_actions": {"limit": 100, "current": 45, "remaining": 55},
    }
