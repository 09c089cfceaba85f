"""What salons already use, played in memory on the same month (peers: Zenoti, Vagaro; see shared notes).

- no automation: nobody is messaged; a freed slot fills only if someone happens to book it.
- waitlist one at a time (Zenoti-style): a freed slot is offered to the first matching waitlist guest, first come
  first served; the next one gets it when the guest says no or the 15-minute response window passes; at most
  3 messages per slot and 20 per guest a day. Plus a reminder 24 hours before every appointment.
- waitlist broadcast (Vagaro-style): every matching waitlist guest is told at once; the first "yes" books it and
  every later "yes" hears the slot is gone. Plus the same reminders.

Both baselines respect consent and the service quiet hours (an offer that opens at night waits for 08:00) and,
like Salon Flow, leave a 10 % holdout of freed slots alone so their lift can be measured the same way. They do
not know the spec's salon budget (20/hour, 100/day) or its per-customer caps beyond their own; the independent
checker counts what that means.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from salonflow.agents.holdout import in_holdout
from salonflow.domain.enums import MessageCategory, MessageIntent
from salonflow.domain.schedule import Interval
from salonflow.domain.waitlist import WaitlistEntry

from salonflow_sim.behaviour import Fate, OfferContext, Reply, answer_offer, opts_out, reminder_saves
from salonflow_sim.ledger import Ledger, SentMessage
from salonflow_sim.results import HoldoutTally, Policy, PolicyMonth
from salonflow_sim.world import MonthBooking, World

RESPONSE_WINDOW = timedelta(minutes=15)
MESSAGES_PER_SLOT = 3
MESSAGES_PER_GUEST_DAY = 20
LAST_OFFER_BEFORE = timedelta(minutes=30)  # nobody is offered a slot starting sooner than this
REMINDER_LEAD = timedelta(hours=24)
SERVICE_OPENS, SERVICE_CLOSES = time(8), time(21)
HOLDOUT_SHARE = 0.10
HOLDOUT_FAMILY = "baseline_waitlist"


@dataclass
class Held:
    """An appointment in a baseline's book."""

    customer_id: str
    staff_id: str
    service_id: str
    start: datetime
    end: datetime
    price_paise: int
    comes: bool  # will the customer turn up (a would-be no-show may be saved by a reminder)
    made_here: bool = False  # booked during the period (a walk-in or one of our offers), not already in the book


@dataclass
class FreedSlot:
    booking: MonthBooking
    freed_at: datetime
    held_out: bool
    queue: list[WaitlistEntry] = field(default_factory=list)
    messages: int = 0
    offered_to: str | None = None  # FCFS: whose answer we wait for
    filled: bool = False
    price_paise: int = 0  # of the booking that filled it


def holdout_tally(slots: list[FreedSlot]) -> HoldoutTally:
    """Freed slots offered on vs left alone by the holdout, and how many of each were booked by anyone."""
    tally = HoldoutTally()
    won_prices = []
    for slot in slots:
        if slot.held_out:
            tally.holdout += 1
            tally.holdout_won += slot.filled
        else:
            tally.treated += 1
            tally.treated_won += slot.filled
            if slot.filled:
                won_prices.append(slot.price_paise)
    tally.revenue_per_win_paise = sum(won_prices) / len(won_prices) if won_prices else 0.0
    return tally


class BaselineMonth:
    def __init__(self, world: World, policy: Policy) -> None:
        self.world = world
        self.policy = policy
        self.offers = policy in (Policy.FCFS, Policy.BROADCAST)
        self.ledger = Ledger()
        self.book: dict[str, Held] = {}
        self.served: set[str] = set()  # waitlist customers who got a slot
        self.filled_by_messages = 0
        self.filled_organically = 0
        self.slots: list[FreedSlot] = []
        self._events: list[tuple[datetime, int, str, Any]] = []
        self._order = itertools.count()
        self._guest_day: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ the month
    def run(self) -> PolicyMonth:
        world = self.world
        for b in world.bookings:
            self.book[b.id] = Held(b.customer_id, b.staff_id, b.service_id, b.start, b.end, b.price_paise,
                                   b.fate is not Fate.NO_SHOW)
            if b.fate is Fate.LATE_CANCEL and b.cancel_at is not None and world.in_month(b.cancel_at):
                self._at(b.cancel_at, "cancel", b)
            reminder = b.start - REMINDER_LEAD
            if self.offers and world.in_month(reminder) and reminder >= world.start:
                self._at(reminder, "remind", b)
        handlers: dict[str, Callable[[datetime, Any], None]] = {
            "cancel": self._cancelled, "remind": self._remind, "organic": self._organic,
            "offer": self._offer_next, "reply": self._reply, "window_end": self._window_end,
        }
        while self._events:
            at, _, kind, payload = heapq.heappop(self._events)
            handlers[kind](at, payload)
        return self._month()

    def _at(self, moment: datetime, kind: str, payload: Any) -> None:
        heapq.heappush(self._events, (moment, next(self._order), kind, payload))

    def _month(self) -> PolicyMonth:
        zone = self.world.dataset.zone
        revenue: dict[Any, int] = {day: 0 for day in self.world.days}
        later = 0
        for held in self.book.values():
            day = held.start.astimezone(zone).date()
            if day in revenue and held.comes:
                revenue[day] += held.price_paise
            elif day > self.world.days[-1] and held.made_here:
                later += held.price_paise
        return PolicyMonth(self.policy, revenue, 0, self.filled_by_messages, self.filled_organically, self.ledger,
                           holdout_tally(self.slots), made_for_later_paise=later)

    # ------------------------------------------------------------------ the world's events
    def _cancelled(self, at: datetime, booking: MonthBooking) -> None:
        if self.book.pop(booking.id, None) is None:
            return
        held_out = in_holdout(self.world.salon_id, HOLDOUT_FAMILY, booking.id, HOLDOUT_SHARE)
        slot = FreedSlot(booking, at, held_out)
        self.slots.append(slot)
        organic = self.world.organic_arrival(booking.id, at, booking.start)
        if organic is not None:
            self._at(organic, "organic", slot)
        if not self.offers:
            return
        slot.queue = self._matching(slot, at)
        if held_out:
            return
        opens = _next_service_time(at, self.world)
        if self.policy is Policy.BROADCAST:
            for entry in list(slot.queue):
                self._at(opens, "offer", (slot, entry))
            slot.queue = []
        else:
            self._at(opens, "offer", (slot, None))

    def _organic(self, at: datetime, slot: FreedSlot) -> None:
        b = slot.booking
        if slot.filled or self._clash(b.staff_id, b.start, b.end):
            return
        slot.filled, slot.price_paise = True, b.price_paise
        self.filled_organically += 1
        self.book[f"organic:{b.id}"] = Held(self.world.walk_in_for(b.id), b.staff_id, b.service_id, b.start, b.end,
                                            b.price_paise, True, made_here=True)

    def _remind(self, at: datetime, booking: MonthBooking) -> None:
        held = self.book.get(booking.id)
        if held is None or not self._may_message(booking.customer_id, at, MessageCategory.SERVICE):
            return
        if not self._send(at, booking.customer_id, MessageIntent.APPOINTMENT_REMINDER, MessageCategory.SERVICE):
            return
        if booking.fate is Fate.NO_SHOW and reminder_saves(self.world.seed, booking.visit_key):
            held.comes = True

    # ------------------------------------------------------------------ offers
    def _matching(self, slot: FreedSlot, at: datetime) -> list[WaitlistEntry]:
        b = slot.booking
        services = self.world.dataset.services_by_id
        found = []
        for entry in self.world.waitlist:
            service = services.get(entry.service_id)
            if service is None or b.staff_id not in service.staff_ids:
                continue
            end = b.start + timedelta(minutes=service.duration_minutes)
            if end > b.end or not entry.fits(b.staff_id, b.start, end) or entry.expires_at <= b.start:
                continue
            found.append(entry)
        return sorted(found, key=lambda e: e.promotion_key())

    def _eligible(self, entry: WaitlistEntry, slot: FreedSlot, at: datetime) -> bool:
        b = slot.booking
        if entry.customer_id in self.served or b.start - at < LAST_OFFER_BEFORE:
            return False
        if not self._may_message(entry.customer_id, at, MessageCategory.SERVICE):
            return False
        if self._guest_day.get((entry.customer_id, at.date().isoformat()), 0) >= MESSAGES_PER_GUEST_DAY:
            return False
        return not any(h.customer_id == entry.customer_id and h.start < b.end and b.start < h.end
                       for h in self.book.values())

    def _offer_next(self, at: datetime, item: tuple[FreedSlot, WaitlistEntry | None]) -> None:
        slot, entry = item
        if slot.filled:
            return
        if entry is None:  # FCFS: the next in line
            while slot.queue and slot.messages < MESSAGES_PER_SLOT:
                candidate = slot.queue.pop(0)
                if self._eligible(candidate, slot, at):
                    entry = candidate
                    break
            if entry is None:
                return
        elif not self._eligible(entry, slot, at):
            return
        self._offer(at, slot, entry)

    def _offer(self, at: datetime, slot: FreedSlot, entry: WaitlistEntry) -> None:
        b = slot.booking
        world = self.world
        recent = self.ledger.proactive_this_week(entry.customer_id, at)
        slot.messages += 1
        slot.offered_to = entry.customer_id
        key = (entry.customer_id, at.date().isoformat())
        self._guest_day[key] = self._guest_day.get(key, 0) + 1
        if not self._send(at, entry.customer_id, MessageIntent.WAITLIST_OFFER, MessageCategory.SERVICE):
            self._at(at, "window_end", (slot, entry.customer_id))
            return
        service = world.dataset.services_by_id[entry.service_id]
        offered = Interval(start=b.start, end=b.start + timedelta(minutes=service.duration_minutes))
        later = [(h.start, h.service_id) for h in self.book.values() if h.customer_id == entry.customer_id]
        context = OfferContext(
            relation=world.relation(entry.customer_id, entry.service_id, b.staff_id, offered, later, False),
            willingness=world.facts[entry.customer_id].willingness, lead=b.start - at,
            message_hour=at.astimezone(world.dataset.zone).hour,
            in_usual_part=world.in_usual_part(entry.customer_id, b.start), recent_messages=recent)
        answer = answer_offer(world.seed, entry.customer_id, slot_key(b.start, world), context)
        if answer.reply is not Reply.NONE:
            self._at(at + answer.delay, "reply", (slot, entry, answer.reply, at))
        if self.policy is Policy.FCFS:
            self._at(at + RESPONSE_WINDOW, "window_end", (slot, entry.customer_id))

    def _reply(self, at: datetime, item: tuple[FreedSlot, WaitlistEntry, Reply, datetime]) -> None:
        slot, entry, reply, offered_at = item
        if reply is Reply.DECLINE:
            if self.policy is Policy.FCFS and slot.offered_to == entry.customer_id and not slot.filled:
                self._at(at, "offer", (slot, None))
            return
        b = slot.booking
        service = self.world.dataset.services_by_id[entry.service_id]
        end = b.start + timedelta(minutes=service.duration_minutes)
        expired = self.policy is Policy.FCFS and at > offered_at + RESPONSE_WINDOW
        if slot.filled or expired or at >= b.start or self._clash(b.staff_id, b.start, end):
            self.ledger.disappointed += 1
            self._send(at, entry.customer_id, MessageIntent.SLOT_TAKEN, MessageCategory.SERVICE)
            return
        slot.filled, slot.price_paise = True, service.price_paise
        self.filled_by_messages += 1
        self.served.add(entry.customer_id)
        self.book[f"waitlist:{b.id}"] = Held(entry.customer_id, b.staff_id, service.id, b.start, end,
                                             service.price_paise, True, made_here=True)
        self._send(at, entry.customer_id, MessageIntent.BOOKING_CONFIRMED, MessageCategory.SERVICE)

    def _window_end(self, at: datetime, item: tuple[FreedSlot, str]) -> None:
        slot, customer_id = item
        if self.policy is Policy.FCFS and not slot.filled and slot.offered_to == customer_id:
            self._at(at, "offer", (slot, None))

    # ------------------------------------------------------------------ helpers
    def _clash(self, staff_id: str, start: datetime, end: datetime) -> bool:
        return any(h.staff_id == staff_id and h.start < end and start < h.end for h in self.book.values())

    def _may_message(self, customer_id: str, at: datetime, category: MessageCategory) -> bool:
        stopped = self.ledger.opt_outs.get(customer_id)
        return self.world.can_message(customer_id, category) and (stopped is None or stopped > at)

    def _send(self, at: datetime, customer_id: str, intent: MessageIntent, category: MessageCategory) -> bool:
        """Send, and False when this message makes the customer opt out (they answer nothing else)."""
        message = SentMessage(at, customer_id, intent.value, category.value)
        self.ledger.record(message)
        if not message.proactive:
            return True
        week = self.ledger.proactive_this_week(customer_id, at)
        if opts_out(self.world.seed, customer_id, self.ledger.proactive_count(customer_id), week, category.value):
            self.ledger.opt_outs.setdefault(customer_id, at)
            return False
        return True


def slot_key(start: datetime, world: World) -> str:
    """Offers of one customer for the same hour of the same day share their answer across policies."""
    local = start.astimezone(world.dataset.zone)
    return f"{local:%Y-%m-%dT%H}"


def _next_service_time(at: datetime, world: World) -> datetime:
    zone = world.dataset.zone
    local = at.astimezone(zone)
    if SERVICE_OPENS <= local.time() < SERVICE_CLOSES:
        return at
    day = local.date() if local.time() < SERVICE_OPENS else local.date() + timedelta(days=1)
    return datetime.combine(day, SERVICE_OPENS, tzinfo=zone)


def run_baseline(world: World, policy: Policy) -> PolicyMonth:
    return BaselineMonth(world, policy).run()
