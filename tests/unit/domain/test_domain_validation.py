"""Validation of documents: what the PWA or a buggy agent might write is refused before it reaches Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from salonflow.domain import (
    Approval,
    AutonomousDecision,
    AutonomyLevel,
    Booking,
    BookingStatus,
    ConsentChannel,
    ConsentSource,
    Customer,
    DecisionType,
    Gap,
    MessageCategory,
    Outreach,
    Salon,
    Service,
    Staff,
    WaitlistEntry,
)
from salonflow.domain import spec_examples as spec

NOW = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
IST = ZoneInfo("Asia/Kolkata")


def customer(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "cust_1",
        "salon_id": "salon_1",
        "name": "Priya Sharma",
        "phone": "+919876543210",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return {**data, **changes}


def booking(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "bkg_1",
        "salon_id": "salon_1",
        "customer_id": "cust_1",
        "staff_id": "staff_1",
        "service_id": "svc_1",
        "start_time": NOW + timedelta(hours=4),
        "end_time": NOW + timedelta(hours=5),
        "price_paise": 50_000,
        "source": "owner_app",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return {**data, **changes}


def salon(**changes: Any) -> dict[str, Any]:
    return {"id": "salon_1", "name": "Glow Studio", "created_at": NOW, "updated_at": NOW, **changes}


@pytest.mark.parametrize(
    "phone",
    ["9876543210", "+91 98765 43210", "+9198765432", "+91987654321012", "0919876543210", "+0123456789", ""],
)
def test_a_phone_not_in_e164_form_is_refused(phone: str) -> None:
    with pytest.raises(ValidationError, match=r"phone|E\.164|Indian"):
        Customer.model_validate(customer(phone=phone))


def test_e164_numbers_of_other_countries_are_accepted() -> None:
    assert Customer.model_validate(customer(phone="+447911123456")).phone == "+447911123456"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        Customer.model_validate(customer(created_at=datetime(2024, 1, 15, 10, 0)))


def test_aware_datetimes_in_any_zone_are_normalised_to_utc() -> None:
    local = datetime(2024, 1, 15, 15, 30, tzinfo=IST)
    model = Customer.model_validate(customer(created_at=local, updated_at=local))
    assert model.created_at == datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    assert model.created_at.tzinfo is UTC


def test_assigning_a_naive_datetime_later_is_refused_too() -> None:
    model = Customer.model_validate(customer())
    with pytest.raises(ValidationError, match="timezone-aware"):
        model.updated_at = datetime(2024, 1, 15, 11, 0)


def test_an_unknown_enum_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="decision_type"):
        AutonomousDecision.model_validate({**spec.AUTONOMOUS_DECISION, "decision_type": "mass_blast"})
    with pytest.raises(ValidationError, match="status"):
        Outreach.model_validate({**spec.OUTREACH, "status": "sending"})
    with pytest.raises(ValidationError, match="status"):
        Booking.model_validate(booking(status="pending"))


def test_an_unknown_field_is_refused_where_clients_write() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Booking.model_validate(booking(is_vip=True))
    with pytest.raises(ValidationError, match="Extra inputs"):
        Approval.model_validate({**spec.APPROVAL, "response": {**spec.APPROVAL["response"], "hacked": 1}})


def test_a_discount_above_100_percent_is_refused() -> None:
    offer = {"discount_percent": 120, "valid_until": "2024-01-15T15:00:00Z"}
    with pytest.raises(ValidationError, match="discount_percent"):
        Outreach.model_validate({**spec.OUTREACH, "offer_details": offer})


def test_a_salon_max_discount_above_100_percent_is_refused() -> None:
    with pytest.raises(ValidationError, match="max_discount_percent"):
        Salon.model_validate(salon(offers={"allowed": True, "max_discount_percent": 150}))


def test_a_booking_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="end_time must be after start_time"):
        Booking.model_validate(booking(end_time=NOW + timedelta(hours=3)))


def test_a_gap_whose_duration_disagrees_with_its_times_is_refused() -> None:
    with pytest.raises(ValidationError, match="duration_minutes"):
        Gap.model_validate({**spec.GAP, "duration_minutes": 90})
    with pytest.raises(ValidationError, match="end_time must be after"):
        Gap.model_validate({**spec.GAP, "end_time": spec.GAP["start_time"]})


def test_a_filled_gap_must_say_what_filled_it() -> None:
    with pytest.raises(ValidationError, match="filled_by"):
        Gap.model_validate({**spec.GAP, "status": "filled"})
    assert Gap.model_validate({**spec.GAP, "status": "filled", "filled_by": "bkg_1"}).filled_by == "bkg_1"


def test_money_must_be_whole_paise_never_fractional_or_negative() -> None:
    with pytest.raises(ValidationError, match="price_paise"):
        Booking.model_validate(booking(price_paise=499.5))
    with pytest.raises(ValidationError, match="price_paise"):
        Booking.model_validate(booking(price_paise=-100))
    with pytest.raises(ValidationError, match="potential"):
        AutonomousDecision.model_validate(
            {**spec.AUTONOMOUS_DECISION, "revenue_impact": {"potential": 499.5, "actual": 0, "currency": "INR"}}
        )


def test_the_currency_is_always_inr() -> None:
    with pytest.raises(ValidationError, match="currency"):
        Salon.model_validate(salon(currency="USD"))
    with pytest.raises(ValidationError, match="currency"):
        AutonomousDecision.model_validate(
            {**spec.AUTONOMOUS_DECISION, "revenue_impact": {"potential": 500, "actual": 0, "currency": "USD"}}
        )


def test_a_service_cannot_cost_more_than_its_price() -> None:
    base = {"id": "svc_1", "salon_id": "salon_1", "name": "Haircut", "category": "hair", "duration_minutes": 45,
            "price_paise": 50_000, "created_at": NOW, "updated_at": NOW}
    assert Service.model_validate({**base, "cost_paise": 20_000}).margin_paise == 30_000
    with pytest.raises(ValidationError, match="cost_paise"):
        Service.model_validate({**base, "cost_paise": 60_000})
    with pytest.raises(ValidationError, match="duration_minutes"):
        Service.model_validate({**base, "duration_minutes": 0})


def test_a_cancelled_booking_records_when_and_only_cancelled_bookings_do() -> None:
    with pytest.raises(ValidationError, match="cancelled_at"):
        Booking.model_validate(booking(status="cancelled"))
    with pytest.raises(ValidationError, match="only a cancelled booking"):
        Booking.model_validate(booking(status="confirmed", late_cancellation=True))


def test_cancelling_within_24_hours_of_the_start_is_flagged_late() -> None:
    model = Booking.model_validate(booking())
    late = model.cancelled(now=NOW)
    assert late.status is BookingStatus.CANCELLED and late.late_cancellation and late.cancelled_at == NOW
    early = Booking.model_validate(booking(start_time=NOW + timedelta(days=2), end_time=NOW + timedelta(days=2, hours=1)))
    assert not early.cancelled(now=NOW).late_cancellation


def test_an_unknown_timezone_is_refused_and_the_default_is_kolkata_in_inr() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Salon.model_validate(salon(timezone="Asia/Bombay_Typo"))
    model = Salon.model_validate(salon())
    assert (model.timezone, model.currency, model.holdout_share) == ("Asia/Kolkata", "INR", 0.10)
    assert model.quiet_hours.service.allowed_from == time(8, 0)
    assert model.quiet_hours.promotional.allowed_until == time(20, 0)


def test_a_salon_cannot_loosen_autonomy_below_the_spec_floor() -> None:
    with pytest.raises(ValidationError, match="discount_offer cannot be full_auto"):
        Salon.model_validate(salon(autonomy={"discount_offer": "full_auto"}))
    with pytest.raises(ValidationError, match="dynamic_pricing cannot be full_auto"):
        Salon.model_validate(salon(autonomy={"dynamic_pricing": "full_auto"}))
    stricter = Salon.model_validate(salon(autonomy={"no_show_prevention": "manual_only"}))
    assert stricter.autonomy_for(DecisionType.NO_SHOW_PREVENTION) is AutonomyLevel.MANUAL_ONLY
    assert stricter.autonomy_for(DecisionType.DISCOUNT_OFFER) is AutonomyLevel.SUPERVISED


def test_promotional_hours_can_only_be_configured_inside_nine_to_nine() -> None:
    too_early = {"promotional": {"allowed_from": "08:30", "allowed_until": "20:00"}}
    with pytest.raises(ValidationError, match="09:00-21:00"):
        Salon.model_validate(salon(quiet_hours=too_early))
    widest = {"promotional": {"allowed_from": "09:00", "allowed_until": "21:00"}}
    assert Salon.model_validate(salon(quiet_hours=widest)).quiet_hours.promotional.allowed_from == time(9, 0)
    backwards = {"service": {"allowed_from": "21:00", "allowed_until": "08:00"}}
    with pytest.raises(ValidationError, match="allowed_until must be after"):
        Salon.model_validate(salon(quiet_hours=backwards))


def test_per_customer_caps_can_be_tightened_but_never_loosened() -> None:
    assert Salon.model_validate(salon(rate_limits={"per_customer_daily": 2})).rate_limits.per_customer_daily == 2
    with pytest.raises(ValidationError, match="per_customer_daily"):
        Salon.model_validate(salon(rate_limits={"per_customer_daily": 5}))
    with pytest.raises(ValidationError, match="per_customer_hourly"):
        Salon.model_validate(salon(rate_limits={"per_customer_hourly": 2}))


def test_whatsapp_templates_map_snake_case_intents_to_content_sids() -> None:
    sid = "HX" + "a" * 32
    assert Salon.model_validate(salon(whatsapp_templates={"gap_fill_offer": sid})).template_for("gap_fill_offer") == sid
    with pytest.raises(ValidationError, match="Content SID"):
        Salon.model_validate(salon(whatsapp_templates={"gap_fill_offer": "MG123"}))


def test_approvers_are_owners_or_managers_with_e164_phones() -> None:
    good = {"name": "Anita", "phone": "+919811111111", "role": "owner", "channels": ["whatsapp", "push"]}
    assert Salon.model_validate(salon(approvers=[good])).approvers[0].role == "owner"
    with pytest.raises(ValidationError, match="role"):
        Salon.model_validate(salon(approvers=[{**good, "role": "staff"}]))
    with pytest.raises(ValidationError, match="phone"):
        Salon.model_validate(salon(approvers=[{**good, "phone": "98111 11111"}]))


def test_opening_hours_refuse_overlapping_or_backwards_ranges() -> None:
    with pytest.raises(ValidationError, match="overlap"):
        Salon.model_validate(salon(opening_hours={"monday": [{"start": "10:00", "end": "14:00"},
                                                             {"start": "13:00", "end": "19:00"}]}))
    with pytest.raises(ValidationError, match="ends after it starts"):
        Salon.model_validate(salon(opening_hours={"monday": [{"start": "19:00", "end": "10:00"}]}))
    with pytest.raises(ValidationError, match="opening_hours"):
        Salon.model_validate(salon(opening_hours={"funday": [{"start": "10:00", "end": "19:00"}]}))


def test_a_staff_break_must_lie_inside_working_hours() -> None:
    base = {"id": "staff_1", "salon_id": "salon_1", "name": "Rahul", "created_at": NOW, "updated_at": NOW,
            "working_hours": {"monday": [{"start": "10:00", "end": "19:00"}]}}
    ok = Staff.model_validate({**base, "breaks": {"monday": [{"start": "13:00", "end": "13:30"}]}})
    assert ok.breaks_on(datetime(2024, 1, 15).date())[0].start == time(13, 0)
    with pytest.raises(ValidationError, match="outside that day's working hours"):
        Staff.model_validate({**base, "breaks": {"tuesday": [{"start": "13:00", "end": "13:30"}]}})


def test_staff_leave_is_a_range_of_instants_that_must_be_ordered() -> None:
    base = {"id": "staff_1", "salon_id": "salon_1", "name": "Rahul", "created_at": NOW, "updated_at": NOW}
    model = Staff.model_validate({**base, "leave": [{"start": NOW, "end": NOW + timedelta(days=2), "reason": "wedding"}]})
    assert model.on_leave(NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    assert not model.on_leave(NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1))
    with pytest.raises(ValidationError, match="ends after it starts"):
        Staff.model_validate({**base, "leave": [{"start": NOW, "end": NOW - timedelta(hours=1)}]})


def test_consent_is_per_channel_and_per_category_and_absent_means_no() -> None:
    model = Customer.model_validate(customer())
    assert not model.can_contact("whatsapp", "service")
    granted = model.with_consent(
        [ConsentChannel.WHATSAPP, ConsentChannel.SMS], MessageCategory.SERVICE, True, ConsentSource.IN_SALON, NOW
    )
    granted = granted.with_consent([ConsentChannel.WHATSAPP], MessageCategory.MARKETING, True, ConsentSource.IN_SALON, NOW)
    later = NOW + timedelta(days=3)
    revoked = granted.with_consent(
        [ConsentChannel.WHATSAPP], MessageCategory.MARKETING, False, ConsentSource.WHATSAPP_MESSAGE, later
    )
    assert revoked.can_contact("whatsapp", "service") and revoked.can_contact("sms", "service")
    assert not revoked.can_contact("whatsapp", "marketing")
    record = revoked.consent_for("whatsapp", "marketing")
    assert record is not None and record.granted_at == NOW and record.revoked_at == later
    assert record.source is ConsentSource.WHATSAPP_MESSAGE
    stored = revoked.to_firestore()["consent"]
    assert stored["whatsapp"]["marketing"]["granted"] is False
    assert stored["whatsapp"]["service"]["source"] == "in_salon"


def test_consent_records_must_carry_their_timestamps() -> None:
    with pytest.raises(ValidationError, match="granted_at"):
        Customer.model_validate(customer(consent={"whatsapp": {"service": {
            "granted": True, "source": "in_salon", "updated_at": NOW}}}))
    with pytest.raises(ValidationError, match="consent"):
        Customer.model_validate(customer(consent={"fax": {"service": {
            "granted": True, "granted_at": NOW, "source": "in_salon", "updated_at": NOW}}}))


def test_the_whatsapp_session_window_lasts_24_hours_from_the_last_inbound_message() -> None:
    model = Customer.model_validate(customer(last_inbound_message_at=NOW))
    assert model.in_whatsapp_session(NOW + timedelta(hours=23, minutes=59))
    assert not model.in_whatsapp_session(NOW + timedelta(hours=24))
    assert not Customer.model_validate(customer()).in_whatsapp_session(NOW)


def test_language_is_an_iso_639_1_code() -> None:
    assert Customer.model_validate(customer(language="hi")).language == "hi"
    with pytest.raises(ValidationError, match="language"):
        Customer.model_validate(customer(language="Hindi"))


def test_reserved_or_path_like_document_ids_are_refused() -> None:
    for bad in ["__id__", "a/b", "", "x" * 201]:
        with pytest.raises(ValidationError):
            Customer.model_validate(customer(id=bad))


def test_approval_status_and_response_agree() -> None:
    approved = {
        **spec.APPROVAL,
        "status": "approved",
        "response": {"action": "approve", "responded_by": "uid_owner", "responded_at": "2024-01-15T10:05:00Z",
                     "notes": "go ahead"},
    }
    model = Approval.model_validate(approved)
    assert not model.is_open(NOW)
    with pytest.raises(ValidationError, match="approved approval records"):
        Approval.model_validate({**approved, "response": {**approved["response"], "action": "reject"}})
    with pytest.raises(ValidationError, match="responded_by"):
        Approval.model_validate({**approved, "response": {**approved["response"], "responded_by": None}})
    with pytest.raises(ValidationError, match="pending approval has no response"):
        Approval.model_validate({**spec.APPROVAL, "response": approved["response"]})
    with pytest.raises(ValidationError, match="expires_at must be after"):
        Approval.model_validate({**spec.APPROVAL, "expires_at": spec.APPROVAL["created_at"]})


def test_a_pending_approval_is_open_only_until_it_expires() -> None:
    model = Approval.model_validate(spec.APPROVAL)
    assert model.is_open(NOW + timedelta(minutes=14))
    assert not model.is_open(NOW + timedelta(minutes=15))


def test_a_decision_approval_not_required_has_status_not_required() -> None:
    bad = {**spec.AUTONOMOUS_DECISION, "approval": {**spec.AUTONOMOUS_DECISION["approval"], "required": False}}
    with pytest.raises(ValidationError, match="not_required"):
        AutonomousDecision.model_validate(bad)


def test_a_responded_outreach_has_received_its_response() -> None:
    with pytest.raises(ValidationError, match="received"):
        Outreach.model_validate({**spec.OUTREACH, "status": "responded"})


def test_waitlist_entries_fit_slots_by_staff_and_window_and_promote_fairly() -> None:
    base = {"id": "wl_1", "salon_id": "salon_1", "customer_id": "cust_1", "service_id": "svc_1",
            "created_at": NOW, "updated_at": NOW, "expires_at": NOW + timedelta(days=7)}
    window = {"start": NOW + timedelta(hours=2), "end": NOW + timedelta(hours=6)}
    picky = WaitlistEntry.model_validate({**base, "preferred_staff_ids": ["staff_1"], "preferred_windows": [window]})
    assert picky.fits("staff_1", NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    assert not picky.fits("staff_2", NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    assert not picky.fits("staff_1", NOW + timedelta(hours=5), NOW + timedelta(hours=7))
    assert WaitlistEntry.model_validate(base).fits("staff_9", NOW, NOW + timedelta(hours=1))
    first = WaitlistEntry.model_validate({**base, "id": "wl_a", "priority": 0})
    urgent = WaitlistEntry.model_validate({**base, "id": "wl_b", "priority": 5, "created_at": NOW + timedelta(hours=1)})
    later = WaitlistEntry.model_validate({**base, "id": "wl_c", "priority": 0, "created_at": NOW + timedelta(hours=1)})
    assert [e.id for e in sorted([later, first, urgent], key=WaitlistEntry.promotion_key)] == ["wl_b", "wl_a", "wl_c"]
    with pytest.raises(ValidationError, match="promoted_booking_id"):
        WaitlistEntry.model_validate({**base, "status": "promoted"})
    with pytest.raises(ValidationError, match="expires_at"):
        WaitlistEntry.model_validate({**base, "expires_at": NOW})


def test_with_changes_validates_where_model_copy_would_not() -> None:
    model = Booking.model_validate(booking())
    assert model.with_changes(status="confirmed").status is BookingStatus.CONFIRMED
    with pytest.raises(ValidationError, match="cancelled_at"):
        model.with_changes(status="cancelled")
    with pytest.raises(ValidationError, match="timezone-aware"):
        model.with_changes(updated_at=datetime(2024, 1, 15, 11, 0))


def test_wall_clock_times_are_hh_mm_in_json_and_in_firestore() -> None:
    model = Salon.model_validate(salon(opening_hours={"monday": [{"start": "10:00", "end": "19:30"}]}))
    assert model.model_dump(mode="json")["opening_hours"]["monday"] == [{"start": "10:00", "end": "19:30"}]
    assert model.to_firestore()["opening_hours"]["monday"] == [{"start": "10:00", "end": "19:30"}]
    assert model.model_dump(mode="json")["created_at"] == "2024-01-15T10:00:00Z"
    with pytest.raises(ValidationError, match="minute precision"):
        Salon.model_validate(salon(opening_hours={"monday": [{"start": "10:00:30", "end": "19:30"}]}))
