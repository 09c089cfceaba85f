from datetime import UTC, datetime, timedelta

from salonflow.governance.rate_limits import (
    Budget,
    Limits,
    RollingWindow,
    Stamp,
    check_budgets,
    check_customer_window,
    rate_limits_view,
    resolve_limits,
)

NOW = datetime(2024, 1, 15, 10, 45, tzinfo=UTC)  # 16:15 IST
EMPTY = RollingWindow()


def stamps(n: int, *, ending: datetime = NOW, every: timedelta = timedelta(minutes=1), prefix: str = "r"
           ) -> RollingWindow:
    return RollingWindow(tuple(Stamp(f"{prefix}{i}", ending - every * (n - 1 - i)) for i in range(n)))


def salon(window: RollingWindow = EMPTY, hourly: int = 20, daily: int = 100) -> Budget:
    return Budget("salon", "salon", hourly, daily, window)


def agent(window: RollingWindow = EMPTY, hourly: int = 20, daily: int = 100) -> Budget:
    return Budget("agent", "gap_fill_agent", hourly, daily, window)


def test_the_spec_numbers_are_the_salon_wide_budget_by_default() -> None:
    limits = resolve_limits()
    assert (limits.salon_hourly_actions, limits.salon_daily_actions) == (20, 100)
    assert (limits.hourly_actions, limits.daily_actions) == (20, 100)
    assert (limits.per_customer_hourly, limits.per_customer_daily) == (1, 3)


def test_each_agent_gets_a_default_share_that_fits_its_job_inside_the_salon_budget() -> None:
    assert (resolve_limits(agent_name="no_show_prevention_agent").hourly_actions) == 20
    retention = resolve_limits(agent_name="retention_agent")
    assert (retention.hourly_actions, retention.daily_actions) == (5, 30)
    assert retention.salon_hourly_actions == 20


def test_agent_config_sets_the_agent_limits_and_salon_overrides_set_the_shared_budget() -> None:
    limits = resolve_limits({"max_hourly_actions": 5, "max_daily_actions": 0},
                            {"hourly_actions": 30, "per_customer_daily": 2}, "gap_fill_agent")
    assert (limits.hourly_actions, limits.daily_actions) == (5, 0)
    assert limits.salon_hourly_actions == 30 and limits.salon_daily_actions == 100
    assert limits.per_customer_daily == 2


def test_a_salon_budget_beyond_what_one_document_can_hold_is_capped() -> None:
    limits = resolve_limits(None, {"hourly_actions": 10_000, "daily_actions": 100_000})
    assert (limits.salon_hourly_actions, limits.salon_daily_actions) == (1_000, 5_000)


def test_customer_limits_can_never_be_loosened() -> None:
    limits = resolve_limits(None, {"per_customer_hourly": 5, "per_customer_daily": 10})
    assert (limits.per_customer_hourly, limits.per_customer_daily) == (1, 3)


def test_twenty_actions_at_ten_fifty_nine_leave_none_for_eleven_o_clock() -> None:
    at_1059 = datetime(2024, 1, 15, 10, 59, tzinfo=UTC)
    burst = RollingWindow(tuple(Stamp(f"r{i}", at_1059) for i in range(20)))
    hit = check_budgets([salon(burst)], at_1059 + timedelta(minutes=1), "new")
    assert hit is not None and hit.reason == "salon_hourly_limit"
    assert hit.until == at_1059 + timedelta(hours=1)  # one fits again when the burst is an hour old
    assert check_budgets([salon(burst)], at_1059 + timedelta(hours=1), "new") is None


def test_the_salon_budget_binds_agents_that_each_have_room_of_their_own() -> None:
    shared = stamps(20, prefix="other")  # twenty actions of other agents in the last 20 minutes
    hit = check_budgets([salon(shared), agent()], NOW, "new")
    assert hit is not None and hit.reason == "salon_hourly_limit"
    assert hit.until == NOW - timedelta(minutes=19) + timedelta(hours=1)


def test_an_agent_cap_inside_the_budget_binds_first() -> None:
    hit = check_budgets([salon(stamps(5)), agent(stamps(5), hourly=5)], NOW, "new")
    assert hit is not None and hit.reason == "agent_hourly_limit"


def test_the_day_is_a_rolling_24_hours() -> None:
    day = stamps(100, every=timedelta(minutes=10))  # the oldest is 990 minutes ago
    hit = check_budgets([salon(day, hourly=1_000)], NOW, "new")
    assert hit is not None and hit.reason == "salon_daily_limit"
    assert hit.until == NOW - timedelta(minutes=990) + timedelta(hours=24)


def test_a_limit_of_zero_blocks_and_looks_again_a_window_later() -> None:
    hit = check_budgets([salon(daily=0)], NOW, "new")
    assert hit is not None and hit.reason == "salon_daily_limit" and hit.until == NOW + timedelta(hours=24)


def test_a_reservation_already_held_is_not_counted_twice() -> None:
    assert check_budgets([salon(stamps(20))], NOW, "r3") is None


def test_one_outreach_per_customer_per_sliding_hour() -> None:
    window = RollingWindow((Stamp("a", NOW - timedelta(minutes=59)),))
    hit = check_customer_window(window, NOW, Limits(), "b")
    assert hit is not None and hit.reason == "customer_hourly_limit"
    assert hit.until == NOW + timedelta(minutes=1)
    assert check_customer_window(window, NOW + timedelta(minutes=1), Limits(), "b") is None


def test_three_outreach_per_customer_per_rolling_day() -> None:
    sends = tuple(Stamp(f"s{i}", NOW - timedelta(hours=h)) for i, h in enumerate((2, 5, 23)))
    hit = check_customer_window(RollingWindow(sends), NOW, Limits(), "new")
    assert hit is not None and hit.reason == "customer_daily_limit"
    assert hit.until == NOW + timedelta(hours=1)  # when the 23-hour-old send ages out


def test_pruning_keeps_only_the_last_24_hours() -> None:
    window = RollingWindow((Stamp("old", NOW - timedelta(hours=25)), Stamp("new", NOW - timedelta(hours=1))))
    assert [s.reservation_id for s in window.with_stamp(Stamp("now", NOW), NOW).stamps] == ["new", "now"]


def test_the_rate_limits_view_shows_the_agents_room_inside_the_salon_budget() -> None:
    own = agent(stamps(15), hourly=20, daily=100)
    shared = salon(RollingWindow((*stamps(15).stamps, *stamps(3, prefix="w").stamps)), hourly=20, daily=100)
    assert rate_limits_view(own, shared, NOW) == {
        "hourly_actions": {"limit": 20, "current": 15, "remaining": 2, "salon_limit": 20, "salon_current": 18},
        "daily_actions": {"limit": 100, "current": 15, "remaining": 82, "salon_limit": 100, "salon_current": 18},
    }
    assert rate_limits_view(agent(hourly=500), salon(), NOW)["hourly_actions"]["limit"] == 20
