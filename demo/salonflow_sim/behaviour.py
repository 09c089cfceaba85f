"""How simulated people answer: customers to offers, reminders, confirmation requests and calls; the owner to
approval requests. Pure functions of the world's truth and common random numbers (`draws`).

The figures are plausible rather than fitted, and named so a reader can argue with them:
- an offer is taken mostly by people who wanted that slot anyway (waitlisted for it: about half), rarely by a
  regular who merely is due (about one in seven), and less at short notice, outside the customer's usual part
  of the day, late in the evening, and by someone who already got several messages this week; a discount helps;
- every message carries a small chance of STOP that grows fast once a customer gets more than three in a week
  (marketing more than service): over-messaging costs opt-outs;
- reminders fix forgetting, not other reasons: a reminded would-be no-show comes with probability 0.23
  (meta-analysis RR 0.77); a confirmation request gets most would-be no-shows who answer to cancel in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from salonflow_sim.draws import lognormal_minutes, uniform


class Relation(StrEnum):
    """What an offered slot is to the customer, in the world's truth (not what the agent believes)."""

    WAITLISTED_FITS = "waitlisted_fits"  # on the waitlist for this service, and the slot is inside their window
    MOVE_UP = "move_up"  # booked for this service later in the week: an earlier time may suit them
    DUE = "due"  # a regular whose usual interval has (almost) passed, with nothing booked
    NOT_DUE = "not_due"  # anyone else: recently came, lapsed long ago, or never returns


BASE_ACCEPT: dict[Relation, float] = {
    Relation.WAITLISTED_FITS: 0.55,
    Relation.MOVE_UP: 0.25,
    Relation.DUE: 0.15,
    Relation.NOT_DUE: 0.04,
}
SHORT_NOTICE = timedelta(hours=2)
SHORT_NOTICE_FACTOR = 0.6
OUTSIDE_USUAL_PART_FACTOR = 0.85
USUAL_PART_FACTOR = 1.2
LATE_EVENING_HOUR = 19  # messages read after 19:00 are answered less
LATE_EVENING_FACTOR = 0.8
FATIGUE_FACTOR = 0.85  # per proactive message already received in the last 7 days
MAX_ACCEPT = 0.9
DECLINE_SHARE = 0.35  # of those who do not take it, how many say "no" rather than nothing
REPLY_MEDIAN_MINUTES, REPLY_SIGMA = 7.0, 1.1

OPT_OUT_BASE = {"service": 0.002, "marketing": 0.006}
OPT_OUT_FREE_PER_WEEK = 3  # up to this many proactive messages in 7 days hardly annoy anyone
OPT_OUT_PER_EXTRA = 0.03
OPT_OUT_MARKETING_FACTOR = 2.0

REMINDER_SAVES = 0.23  # 1 - RR 0.77
CONFIRM_SHARE_OF_SHOWS = 0.55
CANCEL_SHARE_OF_CANCELLERS = 0.6  # a would-be late canceller asked to confirm cancels right away
NO_SHOW_CANCELS, NO_SHOW_COMES = 0.35, 0.25  # a would-be no-show asked to confirm
CALL_NO_SHOW_CANCELS, CALL_NO_SHOW_COMES, CALL_SHOW_CONFIRMS = 0.4, 0.3, 0.6

OWNER_APPROVES: dict[str, float] = {"gap_fill": 0.97, "waitlist_promotion": 0.97, "no_show_prevention": 0.97,
                                    "discount_offer": 0.85, "dynamic_pricing": 0.6}
OWNER_MEDIAN_MINUTES, OWNER_SIGMA = 6.0, 0.9
OWNER_AWAKE_FROM, OWNER_AWAKE_UNTIL = 9, 21  # salon-local hours the owner reads WhatsApp


class Fate(StrEnum):
    """What a booking would become if nobody did anything."""

    SHOW = "show"
    NO_SHOW = "no_show"
    LATE_CANCEL = "late_cancel"


@dataclass(frozen=True)
class OfferContext:
    relation: Relation
    willingness: float  # the customer's latent multiplier, 0.5..1.5
    lead: timedelta  # slot start minus the moment the message arrives
    message_hour: int  # salon-local hour the message arrives
    in_usual_part: bool  # the slot is in the part of the day the customer usually books
    discount_percent: int = 0
    recent_messages: int = 0  # proactive messages received in the 7 days before this one


def acceptance_probability(offer: OfferContext) -> float:
    p = BASE_ACCEPT[offer.relation] * offer.willingness
    if offer.lead < SHORT_NOTICE:
        p *= SHORT_NOTICE_FACTOR
    p *= USUAL_PART_FACTOR if offer.in_usual_part else OUTSIDE_USUAL_PART_FACTOR
    if offer.message_hour >= LATE_EVENING_HOUR:
        p *= LATE_EVENING_FACTOR
    p *= 1 + offer.discount_percent / 20  # 20 % off doubles the appeal
    p *= FATIGUE_FACTOR ** offer.recent_messages
    return round(min(max(p, 0.0), MAX_ACCEPT), 4)


class Reply(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    NONE = "none"


@dataclass(frozen=True)
class Answer:
    reply: Reply
    delay: timedelta


def answer_offer(seed: int, customer_id: str, slot_key: str, offer: OfferContext) -> Answer:
    """The customer's answer to an offer for the slot `slot_key` (the same for every policy offering it)."""
    p = acceptance_probability(offer)
    u = uniform(seed, "accept", customer_id, slot_key)
    if u < p:
        reply = Reply.ACCEPT
    elif uniform(seed, "decline", customer_id, slot_key) < DECLINE_SHARE:
        reply = Reply.DECLINE
    else:
        reply = Reply.NONE
    minutes = lognormal_minutes(seed, REPLY_MEDIAN_MINUTES, REPLY_SIGMA, customer_id, slot_key)
    return Answer(reply, timedelta(minutes=max(0.5, minutes)))


def opt_out_probability(messages_this_week: int, category: str) -> float:
    """The chance that this proactive message (the `messages_this_week`-th in 7 days) makes the customer opt out."""
    p = OPT_OUT_BASE.get(category, OPT_OUT_BASE["marketing"])
    extra = max(0, messages_this_week - OPT_OUT_FREE_PER_WEEK)
    p += OPT_OUT_PER_EXTRA * extra * (OPT_OUT_MARKETING_FACTOR if category == "marketing" else 1.0)
    return min(p, 0.5)


def opts_out(seed: int, customer_id: str, ordinal: int, messages_this_week: int, category: str) -> bool:
    """Whether the customer's `ordinal`-th proactive message of the month makes them reply STOP."""
    return uniform(seed, "opt_out", customer_id, ordinal) < opt_out_probability(messages_this_week, category)


def reminder_saves(seed: int, booking_key: str) -> bool:
    """A reminded would-be no-show remembers and comes."""
    return uniform(seed, "reminder", booking_key) < REMINDER_SAVES


@dataclass(frozen=True)
class AppointmentAnswer:
    text: str | None  # what the customer replies (None: no reply)
    comes: bool  # after this, the customer turns up (only meaningful for a would-be no-show)
    delay: timedelta


def answer_confirmation(seed: int, booking_key: str, fate: Fate) -> AppointmentAnswer:
    u = uniform(seed, "confirm", booking_key)
    delay = timedelta(minutes=max(0.5, lognormal_minutes(seed, REPLY_MEDIAN_MINUTES, REPLY_SIGMA, "confirm",
                                                         booking_key)))
    if fate is Fate.SHOW:
        return AppointmentAnswer("YES" if u < CONFIRM_SHARE_OF_SHOWS else None, True, delay)
    if fate is Fate.LATE_CANCEL:
        return AppointmentAnswer("CANCEL" if u < CANCEL_SHARE_OF_CANCELLERS else None, False, delay)
    if u < NO_SHOW_CANCELS:
        return AppointmentAnswer("CANCEL", False, delay)
    if u < NO_SHOW_CANCELS + NO_SHOW_COMES:
        return AppointmentAnswer("YES", True, delay)
    return AppointmentAnswer(None, False, delay)


def answer_call(seed: int, booking_key: str, fate: Fate) -> AppointmentAnswer:
    """Keypad digits pressed on the confirmation call (1 confirm, 3 cancel), or none."""
    u = uniform(seed, "call", booking_key)
    delay = timedelta(minutes=1)
    if fate is Fate.SHOW:
        return AppointmentAnswer("1" if u < CALL_SHOW_CONFIRMS else None, True, delay)
    if fate is Fate.LATE_CANCEL:
        return AppointmentAnswer("3" if u < CANCEL_SHARE_OF_CANCELLERS else None, False, delay)
    if u < CALL_NO_SHOW_CANCELS:
        return AppointmentAnswer("3", False, delay)
    if u < CALL_NO_SHOW_CANCELS + CALL_NO_SHOW_COMES:
        return AppointmentAnswer("1", True, delay)
    return AppointmentAnswer(None, False, delay)


@dataclass(frozen=True)
class OwnerAnswer:
    approve: bool
    delay: timedelta


def owner_answer(seed: int, approval_key: str, action_type: str, local_hour: float) -> OwnerAnswer:
    """The owner's verdict and how long it takes; asked while asleep, they read it when they wake up."""
    approve = uniform(seed, "owner", approval_key) < OWNER_APPROVES.get(action_type, 0.9)
    minutes = lognormal_minutes(seed, OWNER_MEDIAN_MINUTES, OWNER_SIGMA, "owner", approval_key)
    if local_hour < OWNER_AWAKE_FROM:
        minutes += (OWNER_AWAKE_FROM - local_hour) * 60
    elif local_hour >= OWNER_AWAKE_UNTIL:
        minutes += (24 - local_hour + OWNER_AWAKE_FROM) * 60
    return OwnerAnswer(approve, timedelta(minutes=max(0.5, minutes)))
