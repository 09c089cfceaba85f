"""Understanding customer replies: quick-reply payloads, words in English and Hindi (Latin or Devanagari), digits.

A reply means something only in the context of what we asked: "yes" to a slot offer is an acceptance, "yes" to a
confirmation request is a confirmation. `understand_reply(text, asked)` resolves that; opt-out keywords are not
handled here (governance/consent.py owns them and sees every inbound message first).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from salonflow.domain.enums import OutreachResponseAction


class Asked(StrEnum):
    """What the message being answered asked for."""

    OFFER = "offer"  # a slot / waitlist / win-back / upsell offer: accept or decline
    CONFIRMATION = "confirmation"  # confirm / reschedule / cancel an existing booking


class Meaning(StrEnum):
    YES = "yes"
    NO = "no"
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    UNKNOWN = "unknown"


_YES = {
    "yes", "y", "yeah", "yep", "yup", "ya", "yess", "ok", "okay", "k", "sure", "done", "book", "book it", "book me",
    "please book", "yes please", "i want it", "i will come", "i'll come", "coming", "accept", "interested",
    "haan", "han", "ha", "haa", "haanji", "haan ji", "han ji", "ha ji", "ji", "ji haan", "ji han", "jee",
    "theek hai", "thik hai", "thik h", "theek h", "chalega", "kar do", "book karo", "book kar do", "pakka",
    "हाँ", "हां", "हा", "जी", "जी हाँ", "जी हां", "हाँ जी", "हां जी", "ठीक है", "चलेगा", "बुक करो", "बुक कर दो",
    "👍", "✅", "👌",
}
_NO = {
    "no", "n", "nope", "nah", "not now", "no thanks", "no thank you", "not interested", "decline", "can't", "cannot",
    "cant", "nahi", "nahin", "nai", "na", "nhi", "nahi ji", "ji nahi", "abhi nahi", "nahi chahiye",
    "नहीं", "नही", "ना", "जी नहीं", "नहीं जी", "अभी नहीं", "नहीं चाहिए", "👎", "❌",
}
_CONFIRM = {"confirm", "confirmed", "i confirm", "confirm karo", "pakka hai", "कन्फर्म", "पक्का"}
_CANCEL = {
    "cancel", "cancel it", "cancel booking", "cancel appointment", "cancel karo", "cancel kar do", "radd",
    "radd karo", "रद्द", "रद्द करो", "रद्द करें", "कैंसल", "कैंसल करो",
}
_RESCHEDULE = {
    "reschedule", "change", "change time", "another time", "different time", "later", "postpone", "move",
    "time badlo", "time change", "dusra time", "doosra time", "baad mein", "बदलें", "बदलो", "समय बदलें",
    "दूसरा समय", "बाद में",
}

# Quick-reply button payloads our templates send (Twilio `ButtonPayload`), optionally "<payload>:<outreach id>".
_PAYLOADS = {
    "accept": Meaning.YES,
    "yes": Meaning.YES,
    "decline": Meaning.NO,
    "no": Meaning.NO,
    "confirm": Meaning.CONFIRM,
    "reschedule": Meaning.RESCHEDULE,
    "cancel": Meaning.CANCEL,
}

# Voice keypad menu of the no-show confirmation call (TwiML <Gather numDigits="1">).
KEYPAD = {"1": Meaning.CONFIRM, "2": Meaning.RESCHEDULE, "3": Meaning.CANCEL}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().strip()
    text = re.sub(r"[!?.,;:\"()\[\]]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _word_meaning(text: str) -> Meaning:
    norm = _normalise(text)
    for vocabulary, meaning in (
        (_CANCEL, Meaning.CANCEL),
        (_RESCHEDULE, Meaning.RESCHEDULE),
        (_CONFIRM, Meaning.CONFIRM),
        (_NO, Meaning.NO),
        (_YES, Meaning.YES),
    ):
        if norm in vocabulary:
            return meaning
    # A short sentence that starts with a clear word ("yes please, 3pm is fine", "nahi, kal aaungi").
    first = norm.split(" ", 1)[0] if norm else ""
    if first in _NO:
        return Meaning.NO
    if first in _YES and first not in {"k", "ya", "ha", "na", "n", "y"}:
        return Meaning.YES
    return Meaning.UNKNOWN


def meaning_of(text: str | None = None, *, button_payload: str | None = None, digits: str | None = None) -> Meaning:
    """The raw meaning of a reply: a button payload wins over the text, the keypad digit over both."""
    if digits:
        return KEYPAD.get(digits.strip(), Meaning.UNKNOWN)
    if button_payload:
        key = button_payload.strip().casefold().split(":", 1)[0]
        if key in _PAYLOADS:
            return _PAYLOADS[key]
    if text:
        return _word_meaning(text)
    return Meaning.UNKNOWN


def understand_reply(
    asked: Asked,
    text: str | None = None,
    *,
    button_payload: str | None = None,
    digits: str | None = None,
) -> OutreachResponseAction:
    """What the customer chose, in the vocabulary of `outreach.response.action`."""
    meaning = meaning_of(text, button_payload=button_payload, digits=digits)
    if asked is Asked.OFFER:
        return {
            Meaning.YES: OutreachResponseAction.ACCEPT,
            Meaning.CONFIRM: OutreachResponseAction.ACCEPT,
            Meaning.NO: OutreachResponseAction.DECLINE,
            Meaning.CANCEL: OutreachResponseAction.DECLINE,
        }.get(meaning, OutreachResponseAction.UNRECOGNIZED)
    return {
        Meaning.YES: OutreachResponseAction.CONFIRM,
        Meaning.CONFIRM: OutreachResponseAction.CONFIRM,
        Meaning.CANCEL: OutreachResponseAction.CANCEL,
        # A bare "no" to "will you come?" says the time does not work, not that the booking should be deleted:
        # the salon follows up to move it instead of losing the customer on an ambiguous word.
        Meaning.NO: OutreachResponseAction.RESCHEDULE,
        Meaning.RESCHEDULE: OutreachResponseAction.RESCHEDULE,
    }.get(meaning, OutreachResponseAction.UNRECOGNIZED)
