"""What customers read: one short message per intent, in English or Hindi, plus WhatsApp template variables.

Business-initiated WhatsApp needs an approved template (the salon maps each intent to a Content SID); the
template's variables are always {"1": first name, "2": when, "3": what, "4": with whom, "5": extra}. The free-text
body is used inside the 24-hour window (e.g. replies to a customer's "yes") and as the record of what was said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from salonflow.domain.enums import MessageIntent


@dataclass(frozen=True)
class MessageParts:
    first_name: str
    when: str = ""
    what: str = ""
    staff: str = ""
    extra: str = ""  # e.g. "10% off"
    salon: str = ""

    def variables(self) -> dict[str, str]:
        return {"1": self.first_name, "2": self.when, "3": self.what, "4": self.staff, "5": self.extra}


def when_text(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() == today:
        return f"today at {local:%-I:%M %p}"
    if (local.date() - today).days == 1:
        return f"tomorrow at {local:%-I:%M %p}"
    return f"{local:%a %-d %b} at {local:%-I:%M %p}"


_EN: dict[str, str] = {
    MessageIntent.GAP_FILL_OFFER: "Hi {first_name}! A {what} slot with {staff} just opened {when}{extra_sep}{extra}. "
                                  "Reply YES to book it or NO to skip.",
    MessageIntent.WAITLIST_OFFER: "Hi {first_name}! Good news from your waitlist: {what} with {staff} {when}. "
                                  "Reply YES to book it or NO to skip.",
    MessageIntent.DISCOUNT_OFFER: "Hi {first_name}! {extra} on {what} with {staff} {when}. "
                                  "Reply YES to book it or NO to skip.",
    MessageIntent.UPSELL_OFFER: "Hi {first_name}! {staff} has time after your appointment {when}: add {what}? "
                                "Reply YES to add it or NO to skip.",
    MessageIntent.WIN_BACK: "Hi {first_name}, we miss you at {salon}! {extra}Reply YES and we'll find you a time.",
    MessageIntent.APPOINTMENT_REMINDER: "Hi {first_name}, a reminder of your {what} with {staff} {when}. See you!",
    MessageIntent.CONFIRMATION_REQUEST: "Hi {first_name}, please confirm your {what} with {staff} {when}: "
                                        "reply YES to confirm, CHANGE to reschedule or CANCEL to cancel.",
    MessageIntent.SLOT_TAKEN: "Sorry {first_name}, that slot has just been taken. "
                              "We'll let you know about the next one.",
    MessageIntent.BOOKING_CONFIRMED: "You're booked, {first_name}: {what} with {staff} {when}. See you soon!",
    "offer_expired": "Sorry {first_name}, that offer has expired. We'll let you know about the next opening.",
    MessageIntent.APPROVAL_REQUEST: "{salon}: {extra} Reply APPROVE {what} or REJECT {what}.",
}
_HI: dict[str, str] = {
    MessageIntent.GAP_FILL_OFFER: "नमस्ते {first_name}! {staff} के साथ {what} का स्लॉट {when} खाली हुआ है{extra_sep}{extra}। "
                                  "बुक करने के लिए हाँ लिखें, नहीं तो नहीं।",
    MessageIntent.WAITLIST_OFFER: "नमस्ते {first_name}! आपकी वेटलिस्ट से: {staff} के साथ {what}, {when}। "
                                  "बुक करने के लिए हाँ लिखें, नहीं तो नहीं।",
    MessageIntent.CONFIRMATION_REQUEST: "नमस्ते {first_name}, {staff} के साथ आपका {what} {when} है। पक्का करने के लिए हाँ, "
                                        "बदलने के लिए बदलें, रद्द करने के लिए रद्द लिखें।",
    MessageIntent.APPOINTMENT_REMINDER: "नमस्ते {first_name}, याद दिला दें: {staff} के साथ आपका {what} {when} है।",
    MessageIntent.SLOT_TAKEN: "माफ़ कीजिए {first_name}, वह स्लॉट अभी भर गया। अगला खाली स्लॉट होते ही बताएँगे।",
    MessageIntent.BOOKING_CONFIRMED: "आपकी बुकिंग पक्की है, {first_name}: {staff} के साथ {what}, {when}।",
}


def render(intent: str, parts: MessageParts, language: str = "en") -> str:
    table = _HI if language.startswith("hi") and intent in _HI else _EN
    template = table.get(intent, _EN.get(intent, "Hi {first_name}!"))
    values = {**parts.__dict__, "extra_sep": " - " if parts.extra else ""}
    if intent == MessageIntent.WIN_BACK and parts.extra:
        values["extra"] = f"Here's {parts.extra} your next visit. "
    return template.format(**values)
