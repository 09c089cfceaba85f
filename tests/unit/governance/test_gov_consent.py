from datetime import UTC, datetime

import pytest
from salonflow.governance.consent import (
    ConsentAction,
    ConsentState,
    apply_consent_command,
    consent_from_firestore,
    entry_to_firestore,
    parse_consent_command,
    set_consent,
)
from salonflow.governance.types import ConsentChannel, ConsentSource, MessageCategory

NOW = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
WA = ConsentChannel.WHATSAPP
SMS = ConsentChannel.SMS


def opted_in_everywhere() -> ConsentState:
    state = ConsentState()
    for channel in (WA, SMS):
        for category in MessageCategory:
            state, _ = set_consent(state, channel, category, True, ConsentSource.IN_SALON, NOW)
    return state


def test_no_record_means_no_contact() -> None:
    assert not ConsentState().allows(WA, MessageCategory.SERVICE)


def test_consent_is_per_channel_and_per_category() -> None:
    state, _ = set_consent(ConsentState(), WA, MessageCategory.SERVICE, True, ConsentSource.IN_SALON, NOW)
    assert state.allows(WA, MessageCategory.SERVICE)
    assert not state.allows(WA, MessageCategory.MARKETING)
    assert not state.allows(SMS, MessageCategory.SERVICE)


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "UNSUBSCRIBE", "End", "QUIT", "optout",
                                  "band karo", "Band Karo.", "बंद", "बंद करो", "रोकें", "मत भेजो"])
def test_opt_out_keywords_in_english_and_hindi_stop_every_category(text: str) -> None:
    command = parse_consent_command(text)
    assert command is not None
    assert command.action is ConsentAction.OPT_OUT
    assert command.categories == frozenset(MessageCategory)
    assert not command.all_channels


@pytest.mark.parametrize("text", ["STOP OFFERS", "stop promo", "No offers", "offers band karo", "ऑफर बंद करो"])
def test_offer_specific_keywords_opt_out_of_marketing_only(text: str) -> None:
    command = parse_consent_command(text)
    assert command is not None
    assert command.categories == frozenset({MessageCategory.MARKETING})


def test_cancel_is_a_booking_reply_not_an_opt_out() -> None:
    assert parse_consent_command("CANCEL") is None
    assert parse_consent_command("cancel my appointment") is None


def test_a_keyword_inside_a_sentence_is_an_ordinary_reply() -> None:
    assert parse_consent_command("I will reach at the end of the day") is None
    assert parse_consent_command("please stop by at 5") is None


def test_stop_offers_leaves_service_messages_intact() -> None:
    command = parse_consent_command("STOP OFFERS")
    assert command is not None
    state, changes = apply_consent_command(opted_in_everywhere(), command, WA, NOW)
    assert not state.allows(WA, MessageCategory.MARKETING)
    assert state.allows(WA, MessageCategory.SERVICE)
    assert state.allows(SMS, MessageCategory.MARKETING)  # said on WhatsApp, applies to WhatsApp
    assert [(c.channel, c.category, c.before, c.after) for c in changes] == [
        (WA, MessageCategory.MARKETING, True, False)
    ]


def test_stopall_opts_out_of_every_channel() -> None:
    command = parse_consent_command("STOPALL")
    assert command is not None and command.all_channels
    state, _ = apply_consent_command(opted_in_everywhere(), command, WA, NOW)
    assert not any(state.allows(ch, cat) for ch in ConsentChannel for cat in MessageCategory)


def test_start_resubscribes_to_service_only_and_start_offers_to_marketing_too() -> None:
    stop = parse_consent_command("STOP")
    start = parse_consent_command("START")
    start_all = parse_consent_command("START OFFERS")
    assert stop and start and start_all
    state, _ = apply_consent_command(opted_in_everywhere(), stop, WA, NOW)
    state, _ = apply_consent_command(state, start, WA, NOW)
    assert state.allows(WA, MessageCategory.SERVICE)
    assert not state.allows(WA, MessageCategory.MARKETING)
    state, _ = apply_consent_command(state, start_all, WA, NOW)
    assert state.allows(WA, MessageCategory.MARKETING)


def test_an_opt_out_records_when_and_how_and_keeps_the_original_grant_time() -> None:
    command = parse_consent_command("stop")
    assert command is not None
    later = NOW.replace(hour=12)
    state, _ = apply_consent_command(opted_in_everywhere(), command, WA, later)
    entry = state.entries[(WA, MessageCategory.SERVICE)]
    assert (entry.granted, entry.revoked_at, entry.granted_at) == (False, later, NOW)
    assert entry.source is ConsentSource.WHATSAPP_MESSAGE


def test_consent_round_trips_through_the_customer_document_shape() -> None:
    state = opted_in_everywhere()
    raw = {ch.value: {cat.value: entry_to_firestore(state.entries[(ch, cat)]) for cat in MessageCategory}
           for ch in (WA, SMS)}
    assert consent_from_firestore(raw) == state


def test_a_malformed_consent_cell_reads_as_not_opted_in() -> None:
    raw = {"whatsapp": {"service": {"granted": "yes"}, "marketing": {"granted": True}}, "pigeon": {}}
    state = consent_from_firestore(raw)
    assert not state.allows(WA, MessageCategory.SERVICE)
    assert not state.allows(WA, MessageCategory.MARKETING)  # granted without granted_at is invalid
