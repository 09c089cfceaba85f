"""no_show_prevention_agent: a risk score per upcoming booking, and actions tiered by that risk.

Risk (0-100) adds named parts: the customer's own no-show rate and late-cancellation rate (smoothed towards the
salon-wide ~3 % / ~8 % so one bad day does not brand anyone), a first visit, a booking made far ahead, an early or
late slot; a booking the customer already confirmed keeps a third of its risk.

Tiers and what each gets (one message per step, never two at once):
- every booking, consent permitting: a reminder 24 h before (low risk);
- medium risk (≥ 20): the 24 h message is a confirmation request instead — confirm / reschedule / cancel;
- high risk (≥ 45): the confirmation request goes out 48 h before, and if it is still unconfirmed 4 h before,
  a voice call with a keypad menu (1 confirm, 2 reschedule, 3 cancel), carrying a pre-computed shortlist of
  customers to offer the slot to the moment it is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from salonflow.agents.candidates import Source, gap_candidates
from salonflow.agents.proposals import Action, AgentName, Proposal
from salonflow.agents.snapshot import BookingView, CustomerView, GapView, SalonSnapshot
from salonflow.domain.enums import (
    ConfirmationStatus,
    DecisionType,
    GapStatus,
    MessageCategory,
    MessageIntent,
    OutreachType,
)
from salonflow.domain.money import rupees_from_paise

MEDIUM_RISK, HIGH_RISK = 20, 45
SALON_NO_SHOW_RATE, SALON_LATE_CANCEL_RATE = 0.03, 0.08
PRIOR_VISITS = 4  # weight of the salon-wide rates when smoothing a customer's own
REMINDER_LEAD = timedelta(hours=24)
HIGH_RISK_CONFIRMATION_LEAD = timedelta(hours=48)
CALL_LEAD = timedelta(hours=4)
LAST_USEFUL_MESSAGE = timedelta(hours=2)  # later than this a message is noise; nobody rearranges their day
SHORTLIST_SIZE = 3


@dataclass(frozen=True)
class Risk:
    score: int
    factors: tuple[str, ...]

    @property
    def tier(self) -> str:
        return "high" if self.score >= HIGH_RISK else "medium" if self.score >= MEDIUM_RISK else "low"


def how_far(appointment: datetime, now: datetime) -> str:
    """How far ahead the appointment is, as the customer would say it (both in the salon's timezone)."""
    days = (appointment.date() - now.date()).days
    if days <= 0:
        hours = max(round((appointment - now).total_seconds() / 3600), 0)
        return f"today, in {hours} hour{'s' if hours != 1 else ''}" if hours else "today, within the hour"
    return "tomorrow" if days == 1 else f"in {days} days"


def no_show_risk(booking: BookingView, customer: CustomerView | None, zone_hour: int) -> Risk:
    visits = (customer.completed_visits + customer.no_shows) if customer else 0
    no_shows = customer.no_shows if customer else 0
    late = customer.late_cancellations if customer else 0
    no_show_rate = (no_shows + SALON_NO_SHOW_RATE * PRIOR_VISITS) / (visits + PRIOR_VISITS)
    late_rate = (late + SALON_LATE_CANCEL_RATE * PRIOR_VISITS) / (visits + late + PRIOR_VISITS)
    score = 100 * no_show_rate * 1.5 + 100 * late_rate * 0.5
    factors: list[str] = []
    if no_shows:
        factors.append(f"missed {no_shows} of {visits} past appointments")
    if late:
        factors.append(f"cancelled late {late} times")
    if visits == 0:
        score += 15
        factors.append("first visit")
    lead = booking.start - booking.created_at
    if lead > timedelta(days=14):
        score += 10
        factors.append("booked more than two weeks ahead")
    elif lead < timedelta(hours=24):
        score -= 3
    if zone_hour < 10 or zone_hour >= 19:
        score += 5
        factors.append("early or late slot")
    if booking.confirmation_status is ConfirmationStatus.CONFIRMED:
        score /= 3
        factors.append("already confirmed")
    return Risk(max(0, min(100, round(score))), tuple(factors))


def fill_shortlist(snapshot: SalonSnapshot, booking: BookingView, now: datetime) -> list[str]:
    """Who to offer this slot to if it is released: the gap-fill ranking on the would-be gap."""
    service = snapshot.services.get(booking.service_id)
    hypothetical = GapView(
        id=f"shortlist_{booking.id}",
        staff_id=booking.staff_id,
        start=booking.start,
        end=booking.end,
        status=GapStatus.OPEN,
        services_fittable=tuple(
            s.id for s in snapshot.services.values()
            if s.duration_minutes <= (booking.end - booking.start).total_seconds() / 60
            and (booking.staff_id in s.staff_ids) and not s.is_addon
        ) or ((service.id,) if service else ()),
    )
    ranked = gap_candidates(snapshot, hypothetical, now, frozenset({Source.WAITLIST, Source.DUE_REGULAR}))
    return [c.customer_id for c in ranked if c.customer_id != booking.customer_id][:SHORTLIST_SIZE]


def _already(snapshot: SalonSnapshot, booking: BookingView, intents: set[str]) -> bool:
    return any(o.trigger_id == booking.id and o.intent in intents for o in snapshot.outreach)


def no_show_prevention_agent(snapshot: SalonSnapshot, now: datetime) -> list[Proposal]:
    salon = snapshot.salon
    proposals: list[Proposal] = []
    for booking in sorted(snapshot.bookings, key=lambda b: (b.start, b.id)):
        if not booking.is_active or booking.start - now < LAST_USEFUL_MESSAGE:
            continue
        customer = snapshot.customers.get(booking.customer_id)
        if customer is None:
            continue
        local = booking.start.astimezone(salon.zone)
        risk = no_show_risk(booking, customer, local.hour)
        until = booking.start - now
        service = snapshot.services.get(booking.service_id)
        staff = snapshot.staff.get(booking.staff_id)
        what = f"{service.name if service else 'appointment'} with {staff.name if staff else 'us'}"
        price = rupees_from_paise(booking.price_paise)
        base: dict[str, Any] = {
            "agent_name": AgentName.NO_SHOW_PREVENTION,
            "decision_type": DecisionType.NO_SHOW_PREVENTION,
            "trigger_type": "upcoming_booking",
            "trigger_id": booking.id,
            "case_key": booking.id,
            "customer_id": booking.customer_id,
            "staff_id": booking.staff_id,
            "service_id": booking.service_id,
            "booking_id": booking.id,
            "time_slot": booking.start,
            "slot_end": booking.end,
            "outreach_type": OutreachType.NO_SHOW_PREVENTION,
            "category": MessageCategory.SERVICE,
            "potential_revenue": price,
            "valid_until": booking.start,
        }
        why = f" ({', '.join(risk.factors)})" if risk.factors else ""
        details = {"risk_score": risk.score, "risk_tier": risk.tier, "risk_factors": list(risk.factors),
                   "customer_name": customer.name, "service_name": service.name if service else "",
                   "staff_name": staff.name if staff else ""}
        # Expected value: the share of the slot's revenue the action saves (risk x a modest effect size).
        confirmed = booking.confirmation_status is ConfirmationStatus.CONFIRMED
        sent_confirmation = _already(snapshot, booking, {MessageIntent.CONFIRMATION_REQUEST.value})
        if risk.tier == "high" and not confirmed:
            if until <= HIGH_RISK_CONFIRMATION_LEAD and not sent_confirmation and customer.may_contact(
                    MessageCategory.SERVICE):
                proposals.append(Proposal(
                    **base, action=Action.REQUEST_CONFIRMATION, intent=MessageIntent.CONFIRMATION_REQUEST,
                    channel="whatsapp", probability=risk.score / 100,
                    expected_value=round(price * risk.score / 100 * 0.3, 2),
                    reason=(f"Ask {customer.first_name} to confirm {local:%a %-I:%M %p} {what} "
                            f"({how_far(local, now.astimezone(salon.zone))}): "
                            f"high no-show risk {risk.score}/100{why}."),
                    details=details,
                ))
            elif sent_confirmation and until <= CALL_LEAD and customer.may_call():
                # Re-proposed each run until the call happens; the executor's deterministic decision id makes the
                # repeats no-ops, so exactly one call is placed.
                shortlist = fill_shortlist(snapshot, booking, now)
                proposals.append(Proposal(
                    **base, action=Action.VOICE_CONFIRMATION_CALL, intent=MessageIntent.CONFIRMATION_REQUEST,
                    channel="voice", probability=risk.score / 100,
                    expected_value=round(price * risk.score / 100 * 0.4, 2),
                    reason=(f"Call {customer.first_name} about today's {local:%-I:%M %p} {what}: high no-show risk "
                            f"{risk.score}/100 and the confirmation request is unanswered; "
                            f"{len(shortlist)} customers are lined up if the slot frees."),
                    details={**details, "fill_shortlist": shortlist,
                             "keypad": {"1": "confirm", "2": "reschedule", "3": "cancel"}},
                ))
            continue
        if until > REMINDER_LEAD or not customer.may_contact(MessageCategory.SERVICE):
            continue
        if risk.tier == "medium" and not confirmed and not sent_confirmation:
            proposals.append(Proposal(
                **base, action=Action.REQUEST_CONFIRMATION, intent=MessageIntent.CONFIRMATION_REQUEST,
                channel="whatsapp", probability=risk.score / 100,
                expected_value=round(price * risk.score / 100 * 0.3, 2),
                reason=(f"Ask {customer.first_name} to confirm, reschedule or cancel {local:%a %-I:%M %p} {what}: "
                        f"medium no-show risk {risk.score}/100{why}."),
                details=details,
            ))
        elif not sent_confirmation and not _already(snapshot, booking, {MessageIntent.APPOINTMENT_REMINDER.value}):
            proposals.append(Proposal(
                **base, action=Action.SEND_REMINDER, intent=MessageIntent.APPOINTMENT_REMINDER,
                channel="whatsapp", probability=risk.score / 100,
                expected_value=round(price * risk.score / 100 * 0.2, 2),
                reason=(f"Remind {customer.first_name} of {local:%a %-I:%M %p} {what} "
                        f"({how_far(local, now.astimezone(salon.zone))})."),
                details=details,
            ))
    return by_priority(proposals)


def by_priority(proposals: list[Proposal]) -> list[Proposal]:
    """Riskiest first: the executor spends the rate-limit budget in this order, so when a busy salon's hourly or
    daily budget binds (the spec's 20/h, 100/day cannot cover ~150 bookings a day), the calls and confirmation
    requests of risky bookings go out and the low-risk reminders are the ones deferred. Ties: the sooner
    appointment, then the booking id, so the order is deterministic."""
    return sorted(proposals, key=lambda p: (-p.expected_value, -(p.probability or 0.0),
                                            p.time_slot.timestamp() if p.time_slot else float("inf"), p.trigger_id))
