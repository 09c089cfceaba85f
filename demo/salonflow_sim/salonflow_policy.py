"""Salon Flow's month: the real service layer over Firestore (the local emulator), on a steered clock.

Every agent runs through `run_agent` at its spec interval while the salon is open (cleanup and analytics hourly);
customers and the owner answer through `handle_inbound` (WhatsApp quick-reply buttons carry the message they
answer, as our templates do) and voice keypads through `ReplyService.handle_call_digits`. Twilio, Pub/Sub and
Cloud Tasks are in-process recorders (`recorder`): each message is answered from the behaviour model at the
reply's simulated time, each queued task runs at its due time. The Firestore trigger on bookings is played by
the simulator: after each moment, every booking written at that instant goes through the same reaction as the
deployed trigger's task (`task_routes.react_to_booking_change`).

The world's events reach Firestore as a salon's front desk would write them: late cancellations, walk-ins who
take a freed slot, and, after closing, each appointment marked completed or no-show.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.agents.analytics import holdout_lift
from salonflow.agents.holdout import GAP_FAMILY
from salonflow.domain.agent_state import AGENT_INTERVALS_MINUTES
from salonflow.domain.approvals import Approval
from salonflow.domain.bookings import Booking
from salonflow.domain.enums import (
    ACTIVE_BOOKING_STATUSES,
    BookingSource,
    BookingStatus,
    ConfirmationStatus,
    MessageIntent,
)
from salonflow.domain.schedule import Interval, ranges_on
from salonflow.entrypoints.inbound import handle_inbound
from salonflow.entrypoints.task_routes import react_to_booking_change
from salonflow.services.executor import Executor
from salonflow.services.reply_service import ReplyService
from salonflow.services.runner import run_agent
from salonflow.services.views import decision_record
from salonflow_demo.seed import write_salon
from salonflow_demo.seed_schedule import local_instant

from salonflow_sim.baselines import slot_key
from salonflow_sim.behaviour import (
    Fate,
    OfferContext,
    Reply,
    answer_call,
    answer_confirmation,
    answer_offer,
    opts_out,
    owner_answer,
    reminder_saves,
)
from salonflow_sim.ledger import CALL, OFFER_INTENTS, Ledger, SentMessage
from salonflow_sim.recorder import Call, Recorder, Sent
from salonflow_sim.results import HoldoutTally, Lift, Policy, PolicyMonth
from salonflow_sim.world import HORIZON_DAYS, World

CUSTOMER_AGENTS = ("gap_fill_agent", "waitlist_agent", "no_show_prevention_agent", "retention_agent",
                   "upsell_agent")
HOURLY_AGENTS = ("cleanup_agent", "analytics_agent")
MARKETING_INTENTS = {MessageIntent.WIN_BACK, MessageIntent.UPSELL_OFFER, MessageIntent.DISCOUNT_OFFER}
ANSWERED_OFFERS = {*OFFER_INTENTS, MessageIntent.UPSELL_OFFER, MessageIntent.WIN_BACK}
STOP_DELAY = timedelta(minutes=2)
CLOSE_BOOKS_AT = 21 * 60 + 30  # salon-local minute the front desk marks the day's appointments
# Order of things that happen at the same instant: the world first, then people, then tasks, then agent ticks.
WORLD, PEOPLE, TASKS, TICKS = 0, 1, 2, 3
# Moments that may write a booking (agents never do; the answers to their offers and the world do).
BOOKING_WRITERS = {"cancel", "organic", "say", "digits"}


@dataclass
class Progress:
    moments: int = 0
    agent_runs: int = 0
    service_calls: int = 0


@dataclass
class SalonFlowMonth:
    world: World
    client: firestore.Client
    on_day: Callable[[date, Progress], None] | None = None
    recorder: Recorder = field(default_factory=Recorder)
    ledger: Ledger = field(default_factory=Ledger)
    progress: Progress = field(default_factory=Progress)

    def __post_init__(self) -> None:
        self.salon_id = self.world.salon_id
        self.repos = SalonRepositories(self.client, self.salon_id)
        self.ports = self.recorder.ports()
        salon = self.world.dataset.salon
        self.intent_of = {sid: intent for intent, sid in salon.whatsapp_templates.items()}
        self.customer_of = {c.phone: c.id for c in self.world.dataset.customers}
        self.owner = next(a for a in salon.approvers if a.role == "owner")
        self.approver_phones = {a.phone for a in salon.approvers}
        self.comes: dict[str, bool] = {}  # visit key -> turns up after our reminder / confirmation / call
        self.fills = 0
        self.organic_fills = 0
        self.offer_intent: dict[str, str] = {}  # outreach id -> intent, for what a "yes" filled
        self.served_from_waitlist: set[str] = set()
        self.approvals_by_week: dict[int, int] = {}
        self.approvals_by_day: dict[date, int] = {}
        self.autonomy_by_day: dict[date, dict[str, str]] = {}
        self._events: list[tuple[datetime, int, int, str, Any]] = []
        self._order = itertools.count()
        self._triggered: set[tuple[str, datetime]] = set()

    # ------------------------------------------------------------------ set-up and the loop
    def seed(self) -> None:
        write_salon(self.client, self.world.dataset)
        batch = self.client.batch()
        for entry in self.world.waitlist:
            self.repos.waitlist.save(entry, batch)
        batch.commit()

    def run(self) -> PolicyMonth:
        world = self.world
        for booking in world.bookings:
            if booking.fate is Fate.LATE_CANCEL and booking.cancel_at and world.in_month(booking.cancel_at):
                self._at(booking.cancel_at, WORLD, "cancel", booking.id)
        for day in world.days:
            self._schedule_day(day)
        current: date | None = None
        while self._events:
            at, _, _, kind, payload = heapq.heappop(self._events)
            if at >= world.end:
                break  # what the month left for the next morning is not part of it
            day = at.astimezone(world.dataset.zone).date()
            if current is not None and day != current and self.on_day is not None:
                self.on_day(current, self.progress)
            current = day
            self._handle(at, kind, payload)
        if current is not None and self.on_day is not None:
            self.on_day(current, self.progress)
        return self._month()

    def _at(self, moment: datetime, rank: int, kind: str, payload: Any) -> None:
        heapq.heappush(self._events, (moment, rank, next(self._order), kind, payload))

    def _schedule_day(self, day: date) -> None:
        zone = self.world.dataset.zone
        for hours in ranges_on(self.world.dataset.salon.opening_hours, day):
            opens = local_instant(day, hours.start.hour * 60 + hours.start.minute, zone)
            closes = local_instant(day, hours.end.hour * 60 + hours.end.minute, zone)
            for agent in (*CUSTOMER_AGENTS, *HOURLY_AGENTS):
                step = timedelta(minutes=AGENT_INTERVALS_MINUTES[agent])
                tick = opens
                while tick < closes:
                    self._at(tick, TICKS, "tick", agent)
                    tick += step
        self._at(local_instant(day, CLOSE_BOOKS_AT, zone), WORLD, "close_books", day)

    def _handle(self, at: datetime, kind: str, payload: Any) -> None:
        self.progress.moments += 1
        if kind == "tick":
            self.progress.agent_runs += 1
            run_agent(self.client, self.salon_id, payload, at, self.ports)
        elif kind == "task":
            self._task(at, payload)
        elif kind == "cancel":
            self._cancel(at, payload)
        elif kind == "organic":
            self._walk_in(at, payload)
        elif kind == "say":
            self._say(at, *payload)
        elif kind == "digits":
            self.progress.service_calls += 1
            ReplyService(self.client, self.salon_id, self.ports).handle_call_digits(payload[0], payload[1], at)
        elif kind == "close_books":
            self._close_books(at, payload)
        self._after(at, kind in BOOKING_WRITERS)

    # ------------------------------------------------------------------ what the world does
    def _cancel(self, at: datetime, booking_id: str) -> None:
        booking = self.repos.bookings.get(booking_id)
        if booking is None or booking.status not in ACTIVE_BOOKING_STATUSES:
            return  # already cancelled through us (a "cancel" answer, a move-up)
        self.repos.bookings.update(booking_id, {"status": BookingStatus.CANCELLED, "cancelled_at": at,
                                                "late_cancellation": True, "updated_at": at})

    def _walk_in(self, at: datetime, booking_id: str) -> None:
        freed = self.world.by_id[booking_id]
        if self.repos.bookings.overlapping(freed.start, freed.end, staff_id=freed.staff_id):
            return  # somebody (maybe one of our offers) took it first
        self.organic_fills += 1
        self.repos.bookings.create(Booking(
            id=f"bkg_walkin_{booking_id.removeprefix('bkg_')}", salon_id=self.salon_id,
            customer_id=self.world.walk_in_for(booking_id), staff_id=freed.staff_id, service_id=freed.service_id,
            start_time=freed.start, end_time=freed.end, status=BookingStatus.CONFIRMED,
            price_paise=freed.price_paise, source=BookingSource.WALK_IN,
            confirmation_status=ConfirmationStatus.CONFIRMED, created_at=at, updated_at=at))

    def _close_books(self, at: datetime, day: date) -> None:
        """After closing, the front desk marks each of the day's appointments completed or no-show."""
        zone = self.world.dataset.zone
        start, end = local_instant(day, 0, zone), local_instant(day + timedelta(days=1), 0, zone)
        batch = self.client.batch()
        for booking in self.repos.bookings.in_range(start, end, statuses=ACTIVE_BOOKING_STATUSES):
            planned = self.world.by_id.get(booking.id)
            came = planned is None or planned.fate is not Fate.NO_SHOW or self.comes.get(planned.visit_key, False)
            status = BookingStatus.COMPLETED if came else BookingStatus.NO_SHOW
            self.repos.bookings.update(booking.id, {"status": status, "updated_at": at}, batch)
        batch.commit()
        salon = self.repos.salon.get()
        if salon is not None:
            self.autonomy_by_day[day] = {k.value: v.value for k, v in salon.autonomy.items()}

    # ------------------------------------------------------------------ people answering
    def _say(self, at: datetime, phone: str, text: str, button: str | None) -> None:
        self.progress.service_calls += 1
        payload = {"salon_id": self.salon_id, "from_phone": phone, "body": text, "channel": "whatsapp",
                   **({"button_payload": button} if button else {})}
        result = handle_inbound(self.client, payload, at, self.ports)
        customer_id = self.customer_of.get(phone)
        if text == "STOP" and customer_id is not None:
            self.ledger.opt_outs.setdefault(customer_id, at)
        accepted = result.get("accepted")
        if accepted in ("taken", "expired"):
            self.ledger.disappointed += 1
        elif accepted == "booked" and result.get("outreach_id") in self.offer_intent:
            intent = self.offer_intent[str(result["outreach_id"])]
            if intent in OFFER_INTENTS:
                self.fills += 1
            if intent == MessageIntent.WAITLIST_OFFER and customer_id is not None:
                self.served_from_waitlist.add(customer_id)

    def _after(self, at: datetime, bookings_may_change: bool) -> None:
        """Answer what was just sent, queue what was just enqueued, and play the booking trigger."""
        for _ in range(50):  # a trigger's runs send messages, whose answers come later: this settles fast
            sent, calls, tasks = self.recorder.drain()
            to_owner = [m for m in sent if m.to == self.owner.phone]
            pending = {a.id[-6:]: a for a in self.repos.approvals.pending(limit=500)} if to_owner else {}
            for message in sent:
                self._read(message, pending)
            for call in calls:
                self._answer_call(at, call)
            for task in tasks:
                self._at(max(task.due or at, at), TASKS, "task", task.payload)
            written = self._bookings_written_at(at) if bookings_may_change else []
            if not (sent or calls or tasks or written):
                return
            for booking in written:
                self._booking_trigger(at, booking)

    def _bookings_written_at(self, at: datetime) -> list[Booking]:
        query = self.repos.bookings.collection.where(filter=FieldFilter("updated_at", "==", at))
        found = [Booking.from_firestore(snap.id, snap.to_dict() or {}) for snap in query.stream()]
        fresh = [b for b in found if (b.id, at) not in self._triggered]
        self._triggered.update((b.id, at) for b in fresh)
        return fresh

    def _booking_trigger(self, at: datetime, booking: Booking) -> None:
        if booking.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
            return  # closing the books opens no gap
        self.progress.service_calls += 1
        react_to_booking_change(self.client, self.ports, lambda: self.recorder, self.salon_id, booking.id, at)
        if booking.status is BookingStatus.CANCELLED and booking.id in self.world.by_id:
            arrival = self.world.organic_arrival(booking.id, at, booking.start_time)
            if arrival is not None:
                self._at(arrival, WORLD, "organic", booking.id)

    def _task(self, at: datetime, payload: dict[str, Any]) -> None:
        if "agent_name" in payload and "kind" not in payload:
            self.progress.agent_runs += 1
            run_agent(self.client, self.salon_id, str(payload["agent_name"]), at, self.ports)
        elif payload.get("kind") == "perform_decision":
            Executor(self.client, self.salon_id, self.ports).perform_decision(str(payload["decision_id"]), at)

    def _read(self, sent: Sent, pending: dict[str, Approval]) -> None:
        if sent.to in self.approver_phones:
            self._owner_reads(sent, pending)
            return
        customer_id = self.customer_of.get(sent.to)
        if customer_id is None:
            return
        intent = self.intent_of.get(sent.content_sid or "", "offer_expired")
        discounted = bool(sent.variables.get("5"))
        marketing = intent in MARKETING_INTENTS or (intent in OFFER_INTENTS and discounted)
        category = "marketing" if marketing else "service"
        message = SentMessage(sent.at, customer_id, intent, category)
        self.ledger.record(message)
        if not message.proactive:
            return
        week = self.ledger.proactive_this_week(customer_id, sent.at)
        if opts_out(self.world.seed, customer_id, self.ledger.proactive_count(customer_id), week, category):
            self._at(sent.at + STOP_DELAY, PEOPLE, "say", (sent.to, "STOP", None))
            return
        if sent.outreach_id is None:
            return
        outreach = self.repos.outreach.get(sent.outreach_id)
        decision = self.repos.decisions.get(outreach.decision_id) if outreach and outreach.decision_id else None
        if outreach is None or decision is None:
            return
        context = decision.context
        if intent in ANSWERED_OFFERS:
            self.offer_intent[outreach.id] = intent
            self._answer_offer(sent, customer_id, outreach.id, decision, week - 1)
        elif intent in (MessageIntent.CONFIRMATION_REQUEST, MessageIntent.APPOINTMENT_REMINDER):
            planned = self.world.by_id.get(str((context.model_extra or {}).get("booking_id") or outreach.trigger_id))
            if planned is None:
                return
            if intent == MessageIntent.APPOINTMENT_REMINDER:
                if planned.fate is Fate.NO_SHOW and reminder_saves(self.world.seed, planned.visit_key):
                    self.comes[planned.visit_key] = True
                return
            answer = answer_confirmation(self.world.seed, planned.visit_key, planned.fate)
            if answer.comes:
                self.comes[planned.visit_key] = True
            if answer.text is not None:
                verb = "confirm" if answer.text == "YES" else "cancel"
                self._at(sent.at + answer.delay, PEOPLE, "say", (sent.to, answer.text, f"{verb}:{outreach.id}"))

    def _answer_offer(self, sent: Sent, customer_id: str, outreach_id: str, decision: Any, recent: int) -> None:
        world = self.world
        context = decision.context
        proposal = (decision.action_details.model_extra or {}).get("proposal") or {}
        start = context.time_slot or sent.at
        end = proposal.get("slot_end") or start + timedelta(minutes=30)
        later = [(b.start_time, b.service_id) for b in self.repos.bookings.for_customer(customer_id, since=sent.at)
                 if b.status in ACTIVE_BOOKING_STATUSES]
        relation = world.relation(customer_id, context.service_id or "", context.staff_id or "",
                                  Interval(start=start, end=end), later, customer_id in self.served_from_waitlist)
        offer = OfferContext(relation=relation, willingness=world.facts[customer_id].willingness,
                             lead=start - sent.at, message_hour=sent.at.astimezone(world.dataset.zone).hour,
                             in_usual_part=world.in_usual_part(customer_id, start),
                             discount_percent=int(proposal.get("discount_percent") or 0), recent_messages=recent)
        key = slot_key(start, world) if context.time_slot else f"offer:{outreach_id}"
        answer = answer_offer(world.seed, customer_id, key, offer)
        if answer.reply is not Reply.NONE:
            verb = "accept" if answer.reply is Reply.ACCEPT else "decline"
            self._at(sent.at + answer.delay, PEOPLE, "say",
                     (sent.to, "YES" if verb == "accept" else "NO", f"{verb}:{outreach_id}"))

    def _answer_call(self, at: datetime, call: Call) -> None:
        decision = self.repos.decisions.get(call.decision_id) if call.decision_id else None
        customer_id = self.customer_of.get(call.to)
        if decision is None or customer_id is None:
            return
        self.ledger.record(SentMessage(at, customer_id, CALL, "service", channel="voice"))
        planned = self.world.by_id.get(str((decision.context.model_extra or {}).get("booking_id") or ""))
        if planned is None:
            return
        answer = answer_call(self.world.seed, planned.visit_key, planned.fate)
        if answer.comes:
            self.comes[planned.visit_key] = True
        if answer.text is not None:
            self._at(at + answer.delay, PEOPLE, "digits", (decision.id, answer.text))

    def _owner_reads(self, sent: Sent, pending: dict[str, Approval]) -> None:
        if sent.to != self.owner.phone:
            return  # the manager leaves approvals to the owner
        code = sent.variables.get("3", "")
        week = (sent.at - self.world.start).days // 7 + 1
        self.approvals_by_week[week] = self.approvals_by_week.get(week, 0) + 1
        day = sent.at.astimezone(self.world.dataset.zone).date()
        self.approvals_by_day[day] = self.approvals_by_day.get(day, 0) + 1
        approval = pending.get(code)
        if approval is None:
            return
        local = sent.at.astimezone(self.world.dataset.zone)
        answer = owner_answer(self.world.seed, approval.id, approval.action_type.value,
                              local.hour + local.minute / 60)
        verb = "APPROVE" if answer.approve else "REJECT"
        self._at(sent.at + answer.delay, PEOPLE, "say", (self.owner.phone, f"{verb} {code}", None))

    # ------------------------------------------------------------------ the month's figures
    def _month(self) -> PolicyMonth:
        world = self.world
        zone = world.dataset.zone
        revenue = {day: 0 for day in world.days}
        discounts = 0
        for booking in self.repos.bookings.in_range(world.start, world.end, statuses=[BookingStatus.COMPLETED]):
            revenue[booking.start_time.astimezone(zone).date()] += booking.price_paise
            discounts += booking.discount_paise
        later = sum(b.price_paise for b in self.repos.bookings.in_range(
            world.end, world.end + timedelta(days=HORIZON_DAYS + 1), statuses=ACTIVE_BOOKING_STATUSES)
            if b.source in (BookingSource.AGENT, BookingSource.WALK_IN))
        decisions = [decision_record(d) for d in
                     self.repos.decisions.created_between(world.start, world.end + timedelta(days=2))]
        lifts = holdout_lift(decisions)
        month = PolicyMonth(Policy.SALON_FLOW, revenue, discounts, self.fills, self.organic_fills, self.ledger,
                            HoldoutTally(), approvals_by_week=dict(sorted(self.approvals_by_week.items())),
                            approvals_by_day=dict(sorted(self.approvals_by_day.items())),
                            made_for_later_paise=later)
        for day, levels in sorted(self.autonomy_by_day.items()):
            month.notes.append(f"autonomy after {day}: " + ", ".join(f"{k} {v}" for k, v in sorted(levels.items())
                                                                  if k in ("gap_fill", "waitlist_promotion",
                                                                           "no_show_prevention")))
        gap = lifts.get(GAP_FAMILY)
        if gap is not None:
            month.lift = _lift(gap)
        for agent, figures in lifts.items():
            month.notes.append(f"holdout {agent}: {_lift(figures).text()}, "
                               f"treated {figures['treated_success_rate']:.0%} vs held out "
                               f"{figures['holdout_success_rate']:.0%}")
        return month


def _lift(figures: dict[str, Any]) -> Lift:
    """The product's holdout_lift figures (rupees) as the table's Lift (paise)."""
    interval = figures.get("lift_revenue_interval")
    value = figures.get("lift_revenue")
    return Lift(None if value is None else value * 100, None if interval is None else interval[0] * 100,
                None if interval is None else interval[1] * 100, figures["treated_cases"],
                figures["holdout_cases"], figures["verdict"])
