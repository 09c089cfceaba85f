from __future__ import annotations

import pytest
from salonflow.agents.holdout import holdout_draw, in_holdout
from salonflow.agents.replies import Asked, Meaning, meaning_of, understand_reply
from salonflow.domain.enums import OutreachResponseAction as R


def test_the_holdout_is_stable_per_case_and_close_to_its_share() -> None:
    cases = [f"gap_{i}" for i in range(5000)]
    held = [c for c in cases if in_holdout("salon_1", "gap_fill_agent", c, 0.10)]
    assert 0.085 < len(held) / len(cases) < 0.115
    assert held == [c for c in cases if in_holdout("salon_1", "gap_fill_agent", c, 0.10)]
    other_agent = [c for c in cases if in_holdout("salon_1", "no_show_prevention_agent", c, 0.10)]
    assert set(held) != set(other_agent)
    assert not any(in_holdout("salon_1", "gap_fill_agent", c, 0.0) for c in cases)
    assert 0 <= holdout_draw("s", "a", "c") < 1


@pytest.mark.parametrize("text", ["yes", "Yes!", "YES please", "ok", "haan", "Haan ji", "ha", "ji", "theek hai",
                                  "हाँ", "हां जी", "ठीक है", "👍", "yes, 3pm works"])
def test_yes_in_english_and_hindi_accepts_an_offer(text: str) -> None:
    assert understand_reply(Asked.OFFER, text) is R.ACCEPT


@pytest.mark.parametrize("text", ["no", "No thanks", "nahi", "Nahin", "nai", "नहीं", "ना", "abhi nahi",
                                  "nahi, kal aaungi"])
def test_no_in_english_and_hindi_declines_an_offer(text: str) -> None:
    assert understand_reply(Asked.OFFER, text) is R.DECLINE


def test_confirmation_replies_map_to_confirm_reschedule_and_cancel() -> None:
    assert understand_reply(Asked.CONFIRMATION, "haan") is R.CONFIRM
    assert understand_reply(Asked.CONFIRMATION, "Confirm") is R.CONFIRM
    assert understand_reply(Asked.CONFIRMATION, "cancel") is R.CANCEL
    assert understand_reply(Asked.CONFIRMATION, "रद्द करो") is R.CANCEL
    assert understand_reply(Asked.CONFIRMATION, "reschedule") is R.RESCHEDULE
    assert understand_reply(Asked.CONFIRMATION, "time badlo") is R.RESCHEDULE
    # An ambiguous "no" never deletes a booking: the salon follows up to move it.
    assert understand_reply(Asked.CONFIRMATION, "nahi") is R.RESCHEDULE


def test_quick_reply_payloads_and_keypad_digits_win_over_text() -> None:
    assert understand_reply(Asked.OFFER, "whatever", button_payload="ACCEPT:out_123") is R.ACCEPT
    assert understand_reply(Asked.OFFER, "yes", button_payload="decline") is R.DECLINE
    assert understand_reply(Asked.CONFIRMATION, None, digits="3") is R.CANCEL
    assert meaning_of(digits="9") is Meaning.UNKNOWN


@pytest.mark.parametrize("text", ["what time?", "Hanuman", "nanotech", "", "STOP"])
def test_anything_else_is_unrecognized(text: str) -> None:
    assert understand_reply(Asked.OFFER, text) is R.UNRECOGNIZED
