from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from salonflow_sim.checker import Rules, check, consent_ledger
from salonflow_sim.ledger import CALL, SentMessage

IST = ZoneInfo("Asia/Kolkata")
RULES = Rules(zone=IST)


def at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=IST)


def offer(moment: datetime, customer: str = "c1", category: str = "service") -> SentMessage:
    return SentMessage(moment, customer, "gap_fill_offer", category)


def everyone_consents(customer: str, channel: str, category: str) -> bool:
    return True


CONSENT = consent_ledger(everyone_consents, {})


def test_a_message_after_the_customer_said_stop_breaks_consent_and_one_before_does_not() -> None:
    consent = consent_ledger(everyone_consents, {"c1": at(12)})
    found = check([offer(at(11)), offer(at(13))], consent, RULES)
    assert (found.consent, found.total) == (1, 1)


def test_a_stop_on_whatsapp_does_not_silence_a_call() -> None:
    consent = consent_ledger(everyone_consents, {"c1": at(9)})
    assert check([SentMessage(at(12), "c1", CALL, "service", channel="voice")], consent, RULES).total == 0


def test_quiet_hours_are_per_category_in_the_salons_timezone() -> None:
    found = check([offer(at(21, 30), "a"), offer(at(9, 30), "b", "marketing"), offer(at(9, 30), "c"),
                   offer(at(19, 59), "d", "marketing")], CONSENT, RULES)
    assert found.quiet_hours == 2 and found.total == 2


def test_a_customer_gets_at_most_one_proactive_message_in_any_rolling_hour_and_three_in_any_rolling_day() -> None:
    assert check([offer(at(10)), offer(at(10, 59))], CONSENT, RULES).customer_caps == 1
    assert check([offer(at(10)), offer(at(11))], CONSENT, RULES).customer_caps == 0
    day = [offer(at(10)), offer(at(12)), offer(at(14)), offer(at(16)), offer(at(14, 1, day=4))]
    assert check(day, CONSENT, RULES).customer_caps == 1


def test_the_twenty_first_message_of_the_salon_in_an_hour_breaks_its_budget() -> None:
    burst = [offer(at(10) + timedelta(minutes=2 * n), f"c{n}") for n in range(21)]
    assert check(burst, CONSENT, RULES).salon_caps == 1
    assert check(burst[:20], CONSENT, RULES).total == 0


def test_answers_to_a_customers_own_message_are_never_capped_or_held_to_quiet_hours() -> None:
    replies = [SentMessage(at(22), "c1", "slot_taken", "service"), SentMessage(at(22, 1), "c1", "booking_confirmed",
                                                                               "service")]
    assert check(replies, consent_ledger(lambda *_: False, {}), RULES).total == 0
