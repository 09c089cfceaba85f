from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from salonflow.governance.circuit_breaker import BreakerState, BreakerStateName
from salonflow.governance.consent import ConsentState, set_consent
from salonflow.governance.gate import (
    Contact,
    Deferred,
    GateInputs,
    GovernanceSettings,
    Suppressed,
    evaluate,
)
from salonflow.governance.rate_limits import Budget, Limits, RollingWindow, Stamp
from salonflow.governance.types import Channel, ConsentChannel, ConsentSource, MessageCategory

IST = ZoneInfo("Asia/Kolkata")
NOON = datetime(2024, 1, 15, 12, 0, tzinfo=IST)
SETTINGS = GovernanceSettings()
CONTACT = Contact("cust_1", Channel.WHATSAPP, MessageCategory.MARKETING, "out_1")


def consent(*categories: MessageCategory) -> ConsentState:
    state = ConsentState()
    for category in categories:
        state, _ = set_consent(state, ConsentChannel.WHATSAPP, category, True, ConsentSource.IN_SALON, NOON)
    return state


def inputs(**overrides: object) -> GateInputs:
    base: dict[str, object] = {
        "now": NOON, "settings": SETTINGS, "limits": Limits(), "agent_status": "active",
        "breaker": BreakerState(), "budgets": (), "reservation_id": "rsv_1", "contact": CONTACT,
        "consent": consent(MessageCategory.MARKETING), "customer_window": RollingWindow(),
    }
    base.update(overrides)
    return GateInputs(**base)  # type: ignore[arg-type]


def test_everything_in_order_is_allowed() -> None:
    verdict, writes = evaluate(inputs())
    assert verdict is None and writes.breaker is None


def test_a_replayed_outreach_is_suppressed_as_duplicate() -> None:
    verdict, _ = evaluate(inputs(outreach_exists=True))
    assert verdict == Suppressed("duplicate", "out_1")


def test_consent_for_service_does_not_allow_marketing() -> None:
    verdict, _ = evaluate(inputs(consent=consent(MessageCategory.SERVICE)))
    assert verdict == Suppressed("no_consent:whatsapp:marketing")


def test_a_paused_salon_or_agent_waits_for_a_person() -> None:
    paused = GovernanceSettings(outreach_paused=True)
    assert evaluate(inputs(settings=paused))[0] == Deferred(None, "salon_outreach_paused")
    assert evaluate(inputs(agent_status="paused"))[0] == Deferred(None, "agent_paused")


def test_an_open_breaker_defers_until_its_cooldown_ends() -> None:
    until = NOON + timedelta(minutes=3)
    verdict, _ = evaluate(inputs(breaker=BreakerState(BreakerStateName.OPEN, 5, cooldown_until=until)))
    assert verdict == Deferred(until, "circuit_open")


def test_after_the_cooldown_the_gate_hands_out_the_trial() -> None:
    opened = BreakerState(BreakerStateName.OPEN, 5, cooldown_until=NOON)
    verdict, writes = evaluate(inputs(breaker=opened))
    assert verdict is None
    assert writes.breaker is not None and writes.breaker.state is BreakerStateName.HALF_OPEN


def test_quiet_hours_defer_without_using_the_trial() -> None:
    late = datetime(2024, 1, 15, 22, 0, tzinfo=IST)
    opened = BreakerState(BreakerStateName.OPEN, 5, cooldown_until=late)
    verdict, writes = evaluate(inputs(now=late, breaker=opened))
    assert verdict == Deferred(datetime(2024, 1, 16, 10, 0, tzinfo=IST), "quiet_hours:marketing")
    assert writes.breaker is None


def test_a_full_agent_budget_defers_until_its_oldest_stamp_of_the_hour_ages_out() -> None:
    stamps = tuple(Stamp(f"r{i}", NOON - timedelta(minutes=50 - i)) for i in range(20))
    full = Budget("agent", "gap_fill_agent", 20, 100, RollingWindow(stamps))
    verdict, _ = evaluate(inputs(budgets=(full,)))
    assert verdict == Deferred(NOON + timedelta(minutes=10), "agent_hourly_limit")


def test_a_customer_contacted_this_hour_is_deferred() -> None:
    window = RollingWindow((Stamp("other", NOON - timedelta(minutes=30)),))
    verdict, _ = evaluate(inputs(customer_window=window))
    assert isinstance(verdict, Deferred) and verdict.reason == "customer_hourly_limit"
    assert verdict.until == (NOON + timedelta(minutes=30)).astimezone(UTC)


def test_an_action_without_a_customer_skips_consent_and_quiet_hours() -> None:
    late = datetime(2024, 1, 15, 23, 0, tzinfo=IST)
    verdict, _ = evaluate(inputs(now=late, contact=None, consent=None))
    assert verdict is None


def test_settings_are_read_from_the_salon_document() -> None:
    settings = GovernanceSettings.from_salon_document({
        "timezone": "Europe/London",
        "quiet_hours": {"promotional": {"allowed_from": "11:00", "allowed_until": "19:00"}},
        "rate_limits": {"hourly_actions": 10, "daily_actions": None},
        "autonomy": {"gap_fill": "full_auto"},
        "outreach_paused_at": NOON,
    })
    assert settings.timezone == "Europe/London"
    assert settings.quiet_hours.marketing.start.hour == 11
    assert settings.rate_limits == {"hourly_actions": 10}
    assert settings.autonomy == {"gap_fill": "full_auto"}
    assert settings.outreach_paused
