"""Money in paise with whole-rupee spec fields; random and deterministic ids; Firestore value conversion."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from salonflow.domain import Customer, Weekday, from_firestore_value, ids, to_firestore_value
from salonflow.domain.enums import AutonomyLevel, MessageCategory, MessageIntent
from salonflow.domain.money import (
    discount_paise,
    discounted_price_paise,
    format_inr,
    paise_from_rupees,
    rupees_from_paise,
)


@pytest.mark.parametrize(
    ("paise", "rupees"), [(0, 0), (49, 0), (50, 1), (49_949, 499), (49_950, 500), (50_000, 500), (-150, -2)]
)
def test_paise_round_half_up_to_whole_rupees_for_the_spec_fields(paise: int, rupees: int) -> None:
    assert rupees_from_paise(paise) == rupees


def test_discounts_are_computed_exactly_in_paise() -> None:
    assert paise_from_rupees(500) == 50_000
    assert discount_paise(50_000, 10) == 5_000
    assert discount_paise(49_900, 15) == 7_485
    assert discount_paise(33_333, 12.5) == 4_167  # 4166.625 rounds half up
    assert discounted_price_paise(50_000, 20) == 40_000
    with pytest.raises(ValueError, match="between 0 and 100"):
        discount_paise(50_000, 101)


def test_rupee_amounts_display_without_float_noise() -> None:
    assert format_inr(50_000) == "₹500"
    assert format_inr(49_950) == "₹499.50"


def test_new_ids_carry_the_spec_prefix_and_twenty_random_characters() -> None:
    made = [ids.new_id(ids.DECISION) for _ in range(2_000)]
    assert all(i.startswith("dec_") and len(i) == 24 and i[4:].isalnum() for i in made)
    assert len(set(made)) == len(made)


def test_new_ids_are_not_monotonic() -> None:
    made = [ids.new_id(ids.OUTREACH) for _ in range(200)]
    assert made != sorted(made)


def test_deterministic_ids_are_stable_and_depend_on_every_part() -> None:
    slot = datetime(2024, 1, 15, 14, 0, tzinfo=UTC)
    first = ids.outreach_id("salon_1", "cust_1", "gap_fill_offer", slot)
    assert first == ids.outreach_id("salon_1", "cust_1", "gap_fill_offer", slot)
    assert first.startswith("out_") and len(first) == 36
    assert first != ids.outreach_id("salon_2", "cust_1", "gap_fill_offer", slot)
    assert first != ids.outreach_id("salon_1", "cust_1", "gap_fill_offer", slot + timedelta(minutes=30))


def test_the_same_instant_in_another_timezone_gives_the_same_deterministic_id() -> None:
    utc = datetime(2024, 1, 15, 8, 30, tzinfo=UTC)
    ist = utc.astimezone(ZoneInfo("Asia/Kolkata"))
    assert ids.gap_id("s", "staff_1", utc, utc + timedelta(hours=1)) == ids.gap_id(
        "s", "staff_1", ist, ist + timedelta(hours=1)
    )


def test_deterministic_ids_do_not_confuse_how_parts_are_split() -> None:
    assert ids.deterministic_id("idem", "ab", "c") != ids.deterministic_id("idem", "a", "bc")
    assert ids.deterministic_id("idem", None) != ids.deterministic_id("idem", "None")


def test_spec_ids_for_agent_states_and_scores() -> None:
    assert ids.agent_state_id("salon_123", "gap_fill_agent") == "state_salon_123_gap_fill_agent"
    assert ids.customer_score_id("cust_xxx") == "score_cust_xxx"
    with pytest.raises(ValueError, match="prefix"):
        ids.new_id("bad prefix")


def test_firestore_nanosecond_timestamps_come_back_as_plain_utc_datetimes() -> None:
    stored = DatetimeWithNanoseconds(2024, 1, 15, 10, 0, 0, nanosecond=123456789, tzinfo=UTC)
    value = from_firestore_value({"at": stored, "list": [stored]})
    assert type(value["at"]) is datetime
    assert value["at"] == datetime(2024, 1, 15, 10, 0, 0, 123456, tzinfo=UTC)
    assert type(value["list"][0]) is datetime
    model = Customer.from_firestore(
        "cust_1",
        {"salon_id": "s1", "name": "Asha", "phone": "+919876543210", "created_at": stored, "updated_at": stored},
    )
    assert type(model.created_at) is datetime


def test_values_written_to_firestore_use_plain_types() -> None:
    value = to_firestore_value(
        {"level": AutonomyLevel.SUPERVISED, "day": date(2024, 1, 15), "at": time(9, 30), "tags": ("a", "b")}
    )
    assert value == {"level": "supervised", "day": "2024-01-15", "at": "09:30", "tags": ["a", "b"]}
    assert type(value["level"]) is str


def test_weekday_of_a_date_and_intent_categories() -> None:
    assert Weekday.of(date(2024, 1, 15)) is Weekday.MONDAY
    assert Weekday.of(date(2024, 1, 21)) is Weekday.SUNDAY
    assert MessageIntent.WIN_BACK.category is MessageCategory.MARKETING
    assert MessageIntent.APPOINTMENT_REMINDER.category is MessageCategory.SERVICE


def test_autonomy_levels_order_by_strictness() -> None:
    assert AutonomyLevel.MANUAL_ONLY.at_least(AutonomyLevel.SUPERVISED)
    assert not AutonomyLevel.FULL_AUTO.at_least(AutonomyLevel.SUPERVISED)
    assert AutonomyLevel.strictest(AutonomyLevel.FULL_AUTO, AutonomyLevel.SUPERVISED) is AutonomyLevel.SUPERVISED
