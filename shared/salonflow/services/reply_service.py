"""Customer replies: find what they are answering and act on it.

Opt-out keywords are governance's (ConsentStore.handle_inbound_text runs first, in the webhook); everything
else lands here. A WhatsApp quick-reply payload may carry the outreach id ("accept:out_..."); otherwise the reply
answers the customer's most recent live outreach. Offers go to `OfferService`; confirmation requests update the
booking — a cancellation frees the slot and re-runs gap detection for that stylist's day at once, so gap fill can
offer it on its next tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.decision_outcomes import ClosedOutcome, closed_by, log_closed
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.agents.replies import Asked, understand_reply
from salonflow.domain.bookings import LATE_CANCELLATION_WINDOW
from salonflow.domain.enums import (
    BookingStatus,
    ConfirmationStatus,
    MessageIntent,
    OutcomeStatus,
    OutreachResponseAction,
    OutreachStatus,
)
from salonflow.domain.outreach import Outreach
from salonflow.services.gap_fill_service import AcceptResult, GapService, OfferService
from salonflow.services.ports import ServicePorts

CONFIRMATION_INTENTS = {MessageIntent.CONFIRMATION_REQUEST.value, MessageIntent.APPOINTMENT_REMINDER.value}
LIVE = [OutreachStatus.PENDING, OutreachStatus.SENT, OutreachStatus.DELIVERED, OutreachStatus.READ]


@dataclass(frozen=True)
class ReplyOutcome:
    outreach_id: str | None
    action: OutreachResponseAction
    accept: AcceptResult | None = None
    booking_status: str | None = None
    gaps_created: tuple[str, ...] = ()


class ReplyService:
    def __init__(self, client: firestore.Client, salon_id: str, ports: ServicePorts) -> None:
        self.client = client
        self.salon_id = salon_id
        self.ports = ports
        self.repos = SalonRepositories(client, salon_id)
        self.offers = OfferService(client, salon_id, ports)

    def answering(self, customer_id: str, button_payload: str | None) -> Outreach | None:
        if button_payload and ":" in button_payload:
            found = self.repos.outreach.get(button_payload.split(":", 1)[1].strip())
            if found is not None and found.customer_id == customer_id:
                return found
        live = self.repos.outreach.query([("customer_id", "==", customer_id), ("status", "in", LIVE)])
        return max(live, key=lambda o: o.created_at) if live else None

    def handle(self, customer_id: str, now: datetime, text: str | None = None, *,
               button_payload: str | None = None, digits: str | None = None) -> ReplyOutcome:
        outreach = self.answering(customer_id, button_payload)
        if outreach is None:
            return ReplyOutcome(None, OutreachResponseAction.UNRECOGNIZED)
        asked = Asked.CONFIRMATION if outreach.intent in CONFIRMATION_INTENTS else Asked.OFFER
        action = understand_reply(asked, text, button_payload=button_payload, digits=digits)
        if action is OutreachResponseAction.UNRECOGNIZED:
            return ReplyOutcome(outreach.id, action)
        if asked is Asked.OFFER:
            if action is OutreachResponseAction.ACCEPT:
                return ReplyOutcome(outreach.id, action, accept=self.offers.accept(outreach.id, now))
            self.offers.decline(outreach.id, now)
            return ReplyOutcome(outreach.id, action)
        return self._confirmation(outreach, action, now)

    def handle_call_digits(self, decision_id: str, digits: str, now: datetime) -> ReplyOutcome:
        """The keypad answer of a no-show confirmation call (1 confirm, 2 reschedule, 3 cancel)."""
        decision = self.repos.decisions.get(decision_id)
        if decision is None or not decision.context.model_extra or "booking_id" not in decision.context.model_extra:
            return ReplyOutcome(None, OutreachResponseAction.UNRECOGNIZED)
        action = understand_reply(Asked.CONFIRMATION, None, digits=digits)
        if action is OutreachResponseAction.UNRECOGNIZED:
            return ReplyOutcome(None, action)
        booking_id = str(decision.context.model_extra["booking_id"])
        status, gaps = self._apply_to_booking(booking_id, decision_id, None, action, now)
        return ReplyOutcome(None, action, booking_status=status, gaps_created=gaps)

    def _confirmation(self, outreach: Outreach, action: OutreachResponseAction, now: datetime) -> ReplyOutcome:
        booking_id = outreach.trigger_id
        if not booking_id:
            return ReplyOutcome(outreach.id, OutreachResponseAction.UNRECOGNIZED)
        status, gaps = self._apply_to_booking(booking_id, outreach.decision_id, outreach.id, action, now)
        return ReplyOutcome(outreach.id, action, booking_status=status, gaps_created=gaps)

    def _apply_to_booking(self, booking_id: str, decision_id: str | None, outreach_id: str | None,
                          action: OutreachResponseAction, now: datetime) -> tuple[str | None, tuple[str, ...]]:
        booking_ref = self.repos.bookings.ref(booking_id)
        out_ref = self.repos.outreach.ref(outreach_id) if outreach_id else None
        decision_ref = self.repos.decisions.ref(decision_id) if decision_id else None
        closed: list[ClosedOutcome | None] = [None]

        def change(transaction: Any) -> str | None:
            closed[0] = None  # a retried attempt starts over
            snap = booking_ref.get(transaction=transaction)
            if not snap.exists:
                return None
            booking = snap.to_dict() or {}
            if booking.get("status") not in (BookingStatus.BOOKED.value, BookingStatus.CONFIRMED.value):
                return str(booking.get("status"))
            if action is OutreachResponseAction.CONFIRM:
                update: dict[str, Any] = {"confirmation_status": ConfirmationStatus.CONFIRMED.value,
                                          "status": BookingStatus.CONFIRMED.value}
                result = "confirmed"
            elif action is OutreachResponseAction.CANCEL:
                update = {"status": BookingStatus.CANCELLED.value, "cancelled_at": now,
                          "late_cancellation": booking["start_time"] - now < LATE_CANCELLATION_WINDOW}
                result = "cancelled_by_customer"
            else:
                update = {"confirmation_status": ConfirmationStatus.RESCHEDULE_REQUESTED.value}
                result = "reschedule_requested"
            decision_snap = decision_ref.get(transaction=transaction) if decision_ref is not None else None
            transaction.update(booking_ref, {**update, "updated_at": now})
            if out_ref is not None:
                transaction.update(out_ref, {"status": OutreachStatus.RESPONDED.value, "response.received": True,
                                             "response.action": action.value, "response.responded_at": now,
                                             "updated_at": now})
            if decision_ref is not None and decision_snap is not None:
                # The prevention worked when we learn in time: a confirmation, or a slot freed early.
                outcome = {"outcome.status": OutcomeStatus.SUCCESS.value, "outcome.result": result,
                           "outcome.completed_at": now, "updated_at": now}
                transaction.update(decision_ref, outcome)
                closed[0] = closed_by(decision_ref.id, decision_snap.to_dict() if decision_snap.exists else None,
                                      outcome)
            return str(update.get("status", booking.get("status")))

        status = run_transaction(self.client, change)
        log_closed(self.salon_id, closed[0], now)
        if outreach_id:
            self.ports.events.publish(SalonEvent.create(
                EventType.OUTREACH_RESPONDED, salon_id=self.salon_id, resource_id=outreach_id, occurred_at=now,
                related={"booking_id": booking_id}, data={"action": action.value}))
        gaps: tuple[str, ...] = ()
        if action is OutreachResponseAction.CANCEL and status == BookingStatus.CANCELLED.value:
            booking = self.repos.bookings.get(booking_id)
            salon = self.repos.salon.get()
            if booking is not None and salon is not None:
                day = booking.start_time.astimezone(salon.zone).date()
                detected = GapService(self.client, self.salon_id, self.ports).detect(now, [day], booking.staff_id)
                gaps = detected.created + detected.reopened
        return status, gaps
