"""Consent: who may be contacted on which channel for which kind of message.

Rule: contact needs an explicit opt-in for that (channel, category); no record means no.

Opt-out / opt-in keywords
-------------------------
A reply is a consent command only if the *whole* message (case-folded, punctuation and
extra spaces removed) is one of the phrases below, so "I will end up late" never opts
anyone out. Commands apply to the channel the reply arrived on, except the "all" forms.

Opt-out, every category on this channel:
    STOP, UNSUBSCRIBE, END, QUIT, REVOKE, OPTOUT, OPT OUT, STOP MESSAGES,
    band karo, band kro, band, mat bhejo, message mat bhejo, rokein, roko,
    बंद, बंद करो, बंद करें, रोकें, रोको, मत भेजो, मैसेज मत भेजो
Opt-out, every category on every channel: STOPALL, STOP ALL, sab band karo, सब बंद करो
Opt-out, marketing only: STOP OFFERS, STOP OFFER, STOP PROMO, STOP PROMOTIONS, STOP MARKETING,
    NO OFFERS, offers band karo, offer band karo, ऑफर बंद करो, ऑफर बंद
Opt-out, service only: STOP REMINDERS, STOP REMINDER, reminder band karo, रिमाइंडर बंद करो
Opt-in, service on this channel: START, UNSTOP, SUBSCRIBE, shuru karo, chalu karo, शुरू करो, चालू करो
Opt-in, service and marketing on this channel: START ALL, START OFFERS, offers chalu karo, ऑफर चालू करो

Deliberately NOT commands:
- CANCEL: on an SMS long code Twilio treats it as an opt-out, but here customers reply
  "cancel" to booking messages to cancel an appointment, and India has no two-way SMS
  anyway. A bare CANCEL goes to the booking flow; STOP is printed in every template footer.
- YES/NO/HAAN: booking replies.
- A plain START re-opts into *service* only: marketing consent has to be asked for
  explicitly (START OFFERS / START ALL), as TRAI requires for promotional messages.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from salonflow.domain.customers import ConsentRecord
from salonflow.governance.clock import require_aware
from salonflow.governance.types import Channel, ConsentChannel, ConsentSource, MessageCategory

ALL_CATEGORIES = frozenset(MessageCategory)
MARKETING = frozenset({MessageCategory.MARKETING})
SERVICE = frozenset({MessageCategory.SERVICE})


class ConsentAction(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


@dataclass(frozen=True)
class ConsentCommand:
    action: ConsentAction
    categories: frozenset[MessageCategory]
    all_channels: bool
    keyword: str  # the normalised text that matched, for the audit trail


def normalise(text: str) -> str:
    """Case-fold, drop punctuation (keeping Devanagari marks), collapse whitespace."""
    text = unicodedata.normalize("NFC", text).casefold()
    kept = [ch if (ch.isalnum() or unicodedata.category(ch).startswith("M") or ch.isspace()) else " "
            for ch in text]
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def _phrases(action: ConsentAction, categories: frozenset[MessageCategory], all_channels: bool,
             words: Iterable[str]) -> dict[str, ConsentCommand]:
    return {
        normalise(w): ConsentCommand(action, categories, all_channels, normalise(w)) for w in words
    }


KEYWORDS: dict[str, ConsentCommand] = {
    **_phrases(ConsentAction.OPT_OUT, ALL_CATEGORIES, False, [
        "stop", "unsubscribe", "end", "quit", "revoke", "optout", "opt out", "stop messages",
        "band karo", "band kro", "band", "mat bhejo", "message mat bhejo", "rokein", "roko",
        "बंद", "बंद करो", "बंद करें", "रोकें", "रोको", "मत भेजो", "मैसेज मत भेजो",
    ]),
    **_phrases(ConsentAction.OPT_OUT, ALL_CATEGORIES, True, [
        "stopall", "stop all", "sab band karo", "सब बंद करो",
    ]),
    **_phrases(ConsentAction.OPT_OUT, MARKETING, False, [
        "stop offers", "stop offer", "stop promo", "stop promotions", "stop marketing", "no offers",
        "offers band karo", "offer band karo", "ऑफर बंद करो", "ऑफर बंद",
    ]),
    **_phrases(ConsentAction.OPT_OUT, SERVICE, False, [
        "stop reminders", "stop reminder", "reminder band karo", "रिमाइंडर बंद करो",
    ]),
    **_phrases(ConsentAction.OPT_IN, SERVICE, False, [
        "start", "unstop", "subscribe", "shuru karo", "chalu karo", "शुरू करो", "चालू करो",
    ]),
    **_phrases(ConsentAction.OPT_IN, ALL_CATEGORIES, False, [
        "start all", "start offers", "offers chalu karo", "ऑफर चालू करो",
    ]),
}


def parse_consent_command(text: str) -> ConsentCommand | None:
    """The consent command this whole inbound message is, or None for an ordinary reply."""
    return KEYWORDS.get(normalise(text))


@dataclass(frozen=True)
class ConsentEntry:
    """One cell of the customer's consent matrix (``domain.customers.ConsentRecord`` on the wire)."""

    granted: bool
    source: ConsentSource
    updated_at: datetime
    granted_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class ConsentState:
    """Consent per (channel, category). Missing entries mean "not opted in"."""

    entries: Mapping[tuple[ConsentChannel, MessageCategory], ConsentEntry] = field(default_factory=dict)

    def allows(self, channel: ConsentChannel | Channel | str, category: MessageCategory | str) -> bool:
        entry = self.entries.get((ConsentChannel(str(channel)), MessageCategory(category)))
        return bool(entry and entry.granted)

    def with_entry(self, channel: ConsentChannel, category: MessageCategory, entry: ConsentEntry) -> ConsentState:
        updated = dict(self.entries)
        updated[(channel, category)] = entry
        return ConsentState(updated)


@dataclass(frozen=True)
class ConsentChange:
    channel: ConsentChannel
    category: MessageCategory
    before: bool
    after: bool


SOURCE_FOR_CHANNEL: dict[ConsentChannel, ConsentSource] = {
    ConsentChannel.WHATSAPP: ConsentSource.WHATSAPP_MESSAGE,
    ConsentChannel.SMS: ConsentSource.SMS_MESSAGE,
    ConsentChannel.VOICE: ConsentSource.VOICE_CALL,
}


def set_consent(state: ConsentState, channel: ConsentChannel, category: MessageCategory, granted: bool,
                source: ConsentSource, now: datetime) -> tuple[ConsentState, ConsentChange]:
    """One cell changed, keeping when consent was first granted (as the domain model does)."""
    require_aware(now)
    previous = state.entries.get((channel, category))
    entry = ConsentEntry(
        granted=granted,
        source=source,
        updated_at=now,
        granted_at=now if granted else (previous.granted_at if previous else None),
        revoked_at=None if granted else now,
    )
    change = ConsentChange(channel, category, state.allows(channel, category), granted)
    return state.with_entry(channel, category, entry), change


def apply_consent_command(
    state: ConsentState,
    command: ConsentCommand,
    received_on: ConsentChannel | Channel | str,
    now: datetime,
    known_channels: Iterable[ConsentChannel] = tuple(ConsentChannel),
) -> tuple[ConsentState, list[ConsentChange]]:
    """Apply a keyword immediately. Returns the new state and every cell it targeted.

    Cells already at the requested value are listed too (before == after): an explicit
    STOP is worth recording even when it changes nothing.
    """
    require_aware(now)
    arrived = ConsentChannel(str(received_on))
    channels = list(known_channels) if command.all_channels else [arrived]
    source = SOURCE_FOR_CHANNEL.get(arrived, ConsentSource.WHATSAPP_MESSAGE)
    granted = command.action is ConsentAction.OPT_IN
    changes: list[ConsentChange] = []
    new_state = state
    for channel in channels:
        for category in sorted(command.categories):
            new_state, change = set_consent(new_state, channel, category, granted, source, now)
            changes.append(change)
    return new_state, changes


def entry_to_firestore(entry: ConsentEntry) -> dict[str, object]:
    return ConsentRecord(
        granted=entry.granted, granted_at=entry.granted_at, revoked_at=entry.revoked_at,
        source=entry.source, updated_at=entry.updated_at,
    ).to_firestore()


def consent_from_firestore(raw: object) -> ConsentState:
    """Read a customer document's ``consent`` matrix (``{channel: {category: ConsentRecord}}``).

    A cell that does not validate reads as "not opted in": a malformed record must never send.
    """
    entries: dict[tuple[ConsentChannel, MessageCategory], ConsentEntry] = {}
    if not isinstance(raw, Mapping):
        return ConsentState(entries)
    for channel_name, by_category in raw.items():
        if not isinstance(by_category, Mapping):
            continue
        for category_name, value in by_category.items():
            try:
                channel = ConsentChannel(str(channel_name))
                category = MessageCategory(str(category_name))
                record = ConsentRecord.from_firestore_map(value)
            except (ValueError, TypeError):
                continue
            entries[(channel, category)] = ConsentEntry(
                granted=record.granted, source=record.source, updated_at=record.updated_at,
                granted_at=record.granted_at, revoked_at=record.revoked_at,
            )
    return ConsentState(entries)
