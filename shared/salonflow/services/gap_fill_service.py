"""Gap documents, and the atomic "first confirmed yes wins" booking of an offered slot.

Detection (`GapService.detect`) runs the pure `reconcile_gaps` over one staff member's day (a booking trigger)
or the whole horizon (the sweep) and writes only what changed, with GAP_DETECTED / GAP_FILLED / GAP_EXPIRED
published after the writes commit. It also settles holdout cases: a held-out gap that gets booked anyway is the
"would have happened without us" the lift is measured against.

Acceptance (`OfferService.accept`) is one Firestore transaction on the gap document: it re-reads the gap, the
offer, the decision and the staff member's bookings around the slot, and either books (booking created, gap
filled, offer responded, decision succeeded with actual revenue, the other live offers for the gap closed) or
answers "slot taken" / "offer expired". Two customers saying yes at the same moment serialize on the gap
document; the loser's transaction re-runs, sees the gap filled and gets the polite reply. Never double-booked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from salonflow.adapters.firestore.decision_outcomes import ClosedOutcome, closed_by, log_closed
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.adapters.pubsub_events import EventType, SalonEvent
from salonflow.agents.gaps import DetectedGap, GapChanges, reconcile_gaps
from salonflow.agents.holdout import GAP_FAMILY, HOLDOUT_ACTION
from salonflow.domain.bookings import Booking
from salonflow.domain.enums import (
    BookingSource,
    BookingStatus,
    ConfirmationStatus,
    GapStatus,
    MessageIntent,
    OutcomeStatus,
    OutreachResponseAction,
    OutreachStatus,
)
from salonflow.domain.gaps import Gap
from salonflow.domain.ids import deterministic_id
from salonflow.domain.money import discount_paise, rupees_from_paise
from salonflow.ports import WhatsAppTemplate
from salonflow.services.executor import holdout_decision_id, proposal_from_map
from salonflow.services.messages import MessageParts, render, when_text
from salonflow.services.ports import ServicePorts
from salonflow.services.snapshot_loader import SnapshotLoader

LIVE = ("pending", "sent", "delivered", "read")


DETECT_ATTEMPTS = 3


@dataclass(frozen=True)
class DetectionResult:
    created: tuple[str, ...] = ()
    reopened: tuple[str, ...] = ()
    refreshed: tuple[str, ...] = ()
    filled: tuple[str, ...] = ()
    expired: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


class GapService:
    def __init__(self, client: firestore.Client, salon_id: str, ports: ServicePorts) -> None:
        self.client = client
        self.salon_id = salon_id
        self.ports = ports
        self.repos = SalonRepositories(client, salon_id)
        self.loader = SnapshotLoader(self.repos)

    def detect(self, now: datetime, days: Sequence[date] | None = None, staff_id: str | None = None) -> DetectionResult:
        # The booking trigger and a reply handler may detect the same new gap at once; gap ids are
        # deterministic, so the loser's create fails and it simply detects again on fresh data.
        for attempt in range(DETECT_ATTEMPTS):
            snapshot, scope = self.loader.for_gap_detection(now, days, staff_id)
            changes = reconcile_gaps(snapshot, now, scope, [staff_id] if staff_id else None)
            stored = {g.id: g for g in snapshot.gaps}
            try:
                return self.apply(changes, stored, now)
            except gexc.AlreadyExists:
                if attempt == DETECT_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def apply(self, changes: GapChanges, stored: dict[str, Any], now: datetime) -> DetectionResult:
        batch = self.client.batch()
        writes = 0
        refreshed: list[str] = []
        for gap in changes.new:
            self.repos.gaps.create(self._gap(gap, now), batch)
            writes += 1
        for gap in changes.reopened:
            self.repos.gaps.update(gap.id, {"status": GapStatus.OPEN, "filled_by": None, "fill_attempts": 0,
                                            "priority": gap.priority, "potential_revenue": gap.potential_revenue,
                                            "services_fittable": list(gap.services_fittable), "updated_at": now},
                                   batch)
            writes += 1
        for gap in changes.still_open:
            old = stored.get(gap.id)
            if old is not None and (old.potential_revenue != gap.potential_revenue
                                    or tuple(old.services_fittable) != gap.services_fittable):
                self.repos.gaps.update(gap.id, {"priority": gap.priority, "potential_revenue": gap.potential_revenue,
                                                "services_fittable": list(gap.services_fittable),
                                                "updated_at": now}, batch)
                refreshed.append(gap.id)
                writes += 1
        for gap_id, booking_id in changes.filled:
            self.repos.gaps.update(gap_id, {"status": GapStatus.FILLED, "filled_by": booking_id,
                                            "updated_at": now}, batch)
            writes += 1
        for gap_id in changes.expired:
            self.repos.gaps.update(gap_id, {"status": GapStatus.EXPIRED, "updated_at": now}, batch)
            writes += 1
        for gap_id in changes.ignored:
            self.repos.gaps.update(gap_id, {"status": GapStatus.IGNORED, "updated_at": now}, batch)
            writes += 1
        if writes:
            batch.commit()
        for gap in (*changes.new, *changes.reopened):
            self._publish(EventType.GAP_DETECTED, gap.id, now, {"staff_id": gap.staff_id},
                          {"staff_id": gap.staff_id, "start_time": gap.start.isoformat(),
                           "end_time": gap.end.isoformat(), "duration_minutes": gap.duration_minutes,
                           "priority": gap.priority.value, "potential_revenue": gap.potential_revenue},
                          change_key=now.isoformat() if gap in changes.reopened else "")
        for gap_id, booking_id in changes.filled:
            self._publish(EventType.GAP_FILLED, gap_id, now, {"booking_id": booking_id},
                          {"booking_id": booking_id, "filled_by": booking_id, "actual_revenue": 0})
            self._settle_holdout(gap_id, booking_id, now)
        for gap_id in changes.expired:
            old = stored.get(gap_id)
            self._publish(EventType.GAP_EXPIRED, gap_id, now, {},
                          {"fill_attempts": old.fill_attempts if old is not None else 0})
            self._settle_holdout(gap_id, None, now)
        return DetectionResult(
            created=tuple(g.id for g in changes.new), reopened=tuple(g.id for g in changes.reopened),
            refreshed=tuple(refreshed), filled=tuple(g for g, _ in changes.filled),
            expired=changes.expired, ignored=changes.ignored,
        )

    def _gap(self, gap: DetectedGap, now: datetime) -> Gap:
        return Gap(id=gap.id, salon_id=self.salon_id, staff_id=gap.staff_id, staff_name=gap.staff_name,
                   date=gap.date, start_time=gap.start, end_time=gap.end, duration_minutes=gap.duration_minutes,
                   priority=gap.priority, potential_revenue=gap.potential_revenue,
                   services_fittable=list(gap.services_fittable), created_at=now, updated_at=now)

    def _settle_holdout(self, gap_id: str, booking_id: str | None, now: datetime) -> None:
        """A held-out gap booked without us is a holdout success; one that expired is a holdout failure."""
        for agent in (GAP_FAMILY,):
            decision_id = holdout_decision_id(self.salon_id, agent, gap_id)
            decision = self.repos.decisions.get(decision_id)
            if decision is None or decision.outcome.status is not OutcomeStatus.PENDING:
                continue
            actual = 0
            if booking_id:
                booking = self.repos.bookings.get(booking_id)
                actual = rupees_from_paise(booking.price_paise) if booking else 0
            self.repos.decisions.update(decision_id, {
                "outcome.status": OutcomeStatus.SUCCESS if booking_id else OutcomeStatus.EXPIRED,
                "outcome.result": "filled_without_action" if booking_id else "not_filled",
                "outcome.completed_at": now, "outcome.booking_created_id": booking_id,
                "revenue_impact.actual": actual, "updated_at": now})

    def _publish(self, event_type: EventType, resource_id: str, now: datetime, related: dict[str, str],
                 data: dict[str, Any], change_key: str = "") -> None:
        self.ports.events.publish(SalonEvent.create(event_type, salon_id=self.salon_id, resource_id=resource_id,
                                                    occurred_at=now, related=related, data=data,
                                                    change_key=change_key))


class AcceptStatus(StrEnum):
    BOOKED = "booked"
    TAKEN = "taken"
    EXPIRED = "expired"
    ALREADY_ANSWERED = "already_answered"
    INTERESTED = "interested"  # an offer with no slot (win-back): the salon follows up


@dataclass(frozen=True)
class AcceptResult:
    status: AcceptStatus
    booking_id: str | None = None
    gap_id: str | None = None
    decision_id: str | None = None
    actual_revenue: int = 0


class OfferService:
    """Yes / no to an offer (gap, waitlist, move-up, discount, upsell, win-back)."""

    def __init__(self, client: firestore.Client, salon_id: str, ports: ServicePorts) -> None:
        self.client = client
        self.salon_id = salon_id
        self.ports = ports
        self.repos = SalonRepositories(client, salon_id)

    def accept(self, outreach_id: str, now: datetime) -> AcceptResult:
        out_ref = self.repos.outreach.ref(outreach_id)
        bookings = self.repos.bookings.collection
        closed: list[ClosedOutcome | None] = [None]

        def claim(transaction: Any) -> AcceptResult:
            closed[0] = None  # a retried attempt starts over
            out = _read(out_ref, transaction)
            if out is None:
                raise LookupError(f"outreach {outreach_id} not found")
            if out.get("status") == OutreachStatus.RESPONDED.value:
                response = out.get("response") or {}
                status = AcceptStatus.ALREADY_ANSWERED
                return AcceptResult(status, response.get("booking_id"), decision_id=out.get("decision_id"))
            decision_ref = self.repos.decisions.ref(str(out["decision_id"]))
            decision = _read(decision_ref, transaction) or {}
            proposal = proposal_from_map((decision.get("action_details") or {}).get("proposal") or {})
            gap_ref = self.repos.gaps.ref(proposal.gap_id) if proposal.gap_id else None
            gap = _read(gap_ref, transaction) if gap_ref is not None else None
            siblings = []
            if gap_ref is not None:
                siblings = list(self.repos.outreach.collection.where(
                    filter=FieldFilter("trigger_id", "==", proposal.gap_id)).stream(transaction=transaction))
            if proposal.time_slot is None or proposal.slot_end is None or proposal.staff_id is None:
                closed[0] = self._answer(transaction, out_ref, decision_ref, decision, OutreachResponseAction.ACCEPT,
                                         now, OutcomeStatus.SUCCESS, "accepted_salon_follows_up")
                return AcceptResult(AcceptStatus.INTERESTED, decision_id=decision_ref.id)
            around = bookings.where(filter=FieldFilter("staff_id", "==", proposal.staff_id)).where(
                filter=FieldFilter("start_time", ">=", proposal.time_slot - timedelta(hours=12))).where(
                filter=FieldFilter("start_time", "<", proposal.slot_end))
            clash = [s for s in around.stream(transaction=transaction)
                     if (s.get("status") in ("booked", "confirmed")) and s.get("end_time") > proposal.time_slot
                     and s.id != proposal.booking_id]
            service = _read(self.repos.services.ref(str(proposal.service_id)), transaction) or {}
            waitlist_ref = (self.repos.waitlist.ref(str(proposal.details["waitlist_id"]))
                            if proposal.details.get("waitlist_id") else None)
            entry = _read(waitlist_ref, transaction) if waitlist_ref is not None else None
            missed = None
            if (gap is not None and gap.get("status") != GapStatus.OPEN.value) or clash:
                missed = AcceptStatus.TAKEN, OutcomeStatus.FAILED, "slot_taken"
            elif out.get("expires_at") is not None and now > out["expires_at"]:
                missed = AcceptStatus.EXPIRED, OutcomeStatus.EXPIRED, "offer_expired"
            if missed is not None:
                status, outcome, why = missed
                closed[0] = self._answer(transaction, out_ref, decision_ref, decision, OutreachResponseAction.ACCEPT,
                                         now, outcome, why)
                if waitlist_ref is not None and entry is not None and entry.get("status") == "offered":
                    # Missing this slot does not cost a waiting customer their place in line.
                    transaction.update(waitlist_ref, {"status": "waiting", "offered_at": None, "updated_at": now})
                return AcceptResult(status, gap_id=proposal.gap_id, decision_id=decision_ref.id)
            list_price = int(service.get("price_paise") or 0)
            off = discount_paise(list_price, proposal.discount_percent or 0)
            booking_id = deterministic_id("bkg", self.salon_id, outreach_id)
            booking = Booking(
                id=booking_id, salon_id=self.salon_id, customer_id=str(out["customer_id"]),
                staff_id=proposal.staff_id, service_id=str(proposal.service_id), start_time=proposal.time_slot,
                end_time=proposal.slot_end, status=BookingStatus.CONFIRMED, price_paise=list_price - off,
                discount_paise=off, source=BookingSource.AGENT, confirmation_status=ConfirmationStatus.CONFIRMED,
                decision_id=decision_ref.id, outreach_id=outreach_id, created_at=now, updated_at=now,
            )
            actual = rupees_from_paise(booking.price_paise)
            transaction.create(bookings.document(booking_id), booking.to_firestore())
            if gap_ref is not None:
                transaction.update(gap_ref, {"status": GapStatus.FILLED.value, "filled_by": booking_id,
                                             "updated_at": now})
                for sibling in siblings:
                    if sibling.id != outreach_id and sibling.get("status") in LIVE:
                        transaction.update(sibling.reference, {"status": OutreachStatus.EXPIRED.value,
                                                               "updated_at": now})
            if proposal.booking_id and proposal.details.get("candidate_source") == "move_up":
                transaction.update(bookings.document(proposal.booking_id), {
                    "status": BookingStatus.CANCELLED.value, "cancelled_at": now, "late_cancellation": False,
                    "notes": f"moved up to {booking_id}", "updated_at": now})
            if waitlist_ref is not None and entry is not None:
                transaction.update(waitlist_ref, {"status": "promoted", "promoted_booking_id": booking_id,
                                                  "updated_at": now})
            closed[0] = self._answer(transaction, out_ref, decision_ref, decision, OutreachResponseAction.ACCEPT, now,
                                     OutcomeStatus.SUCCESS, "booked", booking_id=booking_id, actual=actual)
            return AcceptResult(AcceptStatus.BOOKED, booking_id, proposal.gap_id, decision_ref.id, actual)

        result = run_transaction(self.client, claim)
        log_closed(self.salon_id, closed[0], now)
        self._after_accept(outreach_id, result, now)
        return result

    def decline(self, outreach_id: str, now: datetime) -> bool:
        out_ref = self.repos.outreach.ref(outreach_id)
        closed: list[ClosedOutcome | None] = [None]

        def answer(transaction: Any) -> bool:
            closed[0] = None  # a retried attempt starts over
            out = _read(out_ref, transaction)
            if out is None or out.get("status") == OutreachStatus.RESPONDED.value:
                return False
            decision_ref = self.repos.decisions.ref(str(out["decision_id"]))
            decision = _read(decision_ref, transaction) or {}
            proposal = (decision.get("action_details") or {}).get("proposal") or {}
            waitlist_id = (proposal.get("details") or {}).get("waitlist_id")
            waitlist_ref = self.repos.waitlist.ref(str(waitlist_id)) if waitlist_id else None
            entry = _read(waitlist_ref, transaction) if waitlist_ref is not None else None
            closed[0] = self._answer(transaction, out_ref, decision_ref, decision, OutreachResponseAction.DECLINE,
                                     now, OutcomeStatus.FAILED, "declined")
            if waitlist_ref is not None and entry is not None and entry.get("status") == "offered":
                transaction.update(waitlist_ref, {"status": "waiting", "offered_at": None, "updated_at": now})
            return True

        changed = run_transaction(self.client, answer)
        log_closed(self.salon_id, closed[0], now)
        if changed:
            self._publish(EventType.OUTREACH_RESPONDED, outreach_id, now, {}, {"action": "declined"})
        return changed

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _answer(transaction: Any, out_ref: Any, decision_ref: Any, decision: dict[str, Any],
                action: OutreachResponseAction, now: datetime, outcome: OutcomeStatus, result: str,
                booking_id: str | None = None, actual: int = 0) -> ClosedOutcome | None:
        """Stage the answer on the offer and its decision; what it does to the decision's outcome, to log after
        the commit (nothing when the outcome already had this status)."""
        transaction.update(out_ref, {"status": OutreachStatus.RESPONDED.value, "response.received": True,
                                     "response.action": action.value, "response.responded_at": now,
                                     "response.booking_id": booking_id, "updated_at": now})
        changes: dict[str, Any] = {"outcome.status": outcome.value, "outcome.result": result,
                                   "outcome.completed_at": now, "updated_at": now}
        if booking_id:
            changes["outcome.booking_created_id"] = booking_id
            changes["revenue_impact.actual"] = actual
        transaction.update(decision_ref, changes)
        return closed_by(decision_ref.id, decision, changes)

    def _after_accept(self, outreach_id: str, result: AcceptResult, now: datetime) -> None:
        if result.status is AcceptStatus.ALREADY_ANSWERED:
            return  # a duplicate webhook: the customer already got their answer
        related = {k: v for k, v in (("booking_id", result.booking_id), ("gap_id", result.gap_id),
                                     ("decision_id", result.decision_id)) if v}
        if result.status is AcceptStatus.BOOKED and result.gap_id:
            self._publish(EventType.GAP_FILLED, result.gap_id, now, related,
                          {"booking_id": result.booking_id, "filled_by": result.booking_id,
                           "actual_revenue": result.actual_revenue})
        self._publish(EventType.OUTREACH_RESPONDED, outreach_id, now, related,
                      {"action": "accepted", "booking_id": result.booking_id, "result": result.status.value})
        outreach = self.repos.outreach.get(outreach_id)
        if outreach is None:
            return
        intent = {AcceptStatus.BOOKED: MessageIntent.BOOKING_CONFIRMED, AcceptStatus.TAKEN: MessageIntent.SLOT_TAKEN,
                  AcceptStatus.EXPIRED: "offer_expired"}.get(result.status)
        if intent is None:
            return
        self._reply(outreach.customer_id, str(intent), result, now)

    def _reply(self, customer_id: str, intent: str, result: AcceptResult, now: datetime) -> None:
        customer = self.repos.customers.get(customer_id)
        salon = self.repos.salon.get()
        if customer is None or salon is None:
            return
        when = what = staff = ""
        if result.booking_id:
            booking = self.repos.bookings.get(result.booking_id)
            if booking is not None:
                when = when_text(booking.start_time, salon.zone, now)
                service = self.repos.services.get(booking.service_id)
                member = self.repos.staff.get(booking.staff_id)
                what = service.name if service else ""
                staff = member.name.split()[0] if member else ""
        parts = MessageParts(first_name=customer.name.split()[0], when=when, what=what, staff=staff,
                             salon=salon.name)
        sid = salon.template_for(intent)
        # The customer just wrote to us, so free text is inside the 24-hour window.
        self.ports.messages.send_whatsapp(customer.phone, template=WhatsAppTemplate(sid, parts.variables())
                                          if sid else None, body=render(intent, parts, customer.language),
                                          last_inbound_at=now, now=now,
                                          status_callback=self.ports.status_callback_for(self.salon_id))

    def _publish(self, event_type: EventType, resource_id: str, now: datetime, related: dict[str, str],
                 data: dict[str, Any]) -> None:
        self.ports.events.publish(SalonEvent.create(event_type, salon_id=self.salon_id, resource_id=resource_id,
                                                    occurred_at=now, related=related, data=data))


def _read(ref: Any, transaction: Any) -> dict[str, Any] | None:
    snap = ref.get(transaction=transaction)
    return (snap.to_dict() or {}) if snap.exists else None


__all__ = ["HOLDOUT_ACTION", "AcceptResult", "AcceptStatus", "DetectionResult", "GapService", "OfferService"]
