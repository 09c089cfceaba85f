"""upsell_agent: when a booking is followed by free time with the same staff member, suggest a fitting add-on.

An add-on fits when the staff member performs it and it ends before the next commitment. How likely the customer
takes it comes from their own history (had it before) and from what customers booking the same main service add
(back-to-back bookings of the same customer and staff in the snapshot). It is a promotional message: marketing
consent, marketing quiet hours, at most one promotional message a week. It fills free time next to a booking, so
it is recorded as a `gap_fill` decision.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from salonflow.agents.gaps import free_intervals
from salonflow.agents.proposals import Action, AgentName, Proposal
from salonflow.agents.retention import marketing_quiet_enough
from salonflow.agents.snapshot import BookingView, SalonSnapshot, ServiceView
from salonflow.domain.enums import DecisionType, MessageCategory, MessageIntent, OutreachType
from salonflow.domain.money import rupees_from_paise

MIN_NOTICE = timedelta(hours=3)
MIN_PROBABILITY = 0.15


def add_on_popularity(bookings: tuple[BookingView, ...], services: dict[str, ServiceView]) -> dict[tuple[str, str], float]:
    """Share of bookings of a main service followed straight away by each add-on (same customer and staff)."""
    by_key = {(b.customer_id, b.staff_id, b.start): b for b in bookings}
    mains: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for b in bookings:
        service = services.get(b.service_id)
        if service is None or service.is_addon:
            continue
        mains[b.service_id] += 1
        follower = by_key.get((b.customer_id, b.staff_id, b.end))
        if follower is not None and (s := services.get(follower.service_id)) is not None and s.is_addon:
            pairs[(b.service_id, follower.service_id)] += 1
    return {pair: n / mains[pair[0]] for pair, n in pairs.items()}


def has_free_time_after(snapshot: SalonSnapshot, booking: BookingView) -> bool:
    """The stylist is free straight after this booking (for at least the shortest add-on)."""
    staff = snapshot.staff.get(booking.staff_id)
    if staff is None:
        return False
    shortest = min((s.duration_minutes for s in snapshot.services.values() if s.is_addon and s.active), default=None)
    if shortest is None:
        return False
    day = booking.start.astimezone(snapshot.salon.zone).date()
    return any(f.start == booking.end and f.minutes >= shortest
               for f in free_intervals(staff, snapshot.salon, day, snapshot.bookings))


def upsell_agent(snapshot: SalonSnapshot, now: datetime) -> list[Proposal]:
    salon = snapshot.salon
    services = dict(snapshot.services)
    popularity = add_on_popularity(snapshot.bookings, services)
    proposals: list[Proposal] = []
    for booking in sorted(snapshot.bookings, key=lambda b: (b.start, b.id)):
        if not booking.is_active or booking.start - now < MIN_NOTICE:
            continue
        customer = snapshot.customers.get(booking.customer_id)
        staff = snapshot.staff.get(booking.staff_id)
        main = services.get(booking.service_id)
        if customer is None or staff is None or main is None or main.is_addon:
            continue
        if not customer.may_contact(MessageCategory.MARKETING) or not marketing_quiet_enough(
                snapshot, customer.id, now):
            continue
        if any(o.is_live(now) for o in snapshot.outreach_for(customer.id)):
            continue
        if any(b.customer_id == customer.id and b.staff_id == staff.id and b.start == booking.end and b.is_active
               for b in snapshot.bookings):
            continue  # already booked an add-on right after
        day = booking.start.astimezone(salon.zone).date()
        after = next((f for f in free_intervals(staff, salon, day, snapshot.bookings) if f.start == booking.end), None)
        if after is None:
            continue
        score = snapshot.scores.get(customer.id)
        best: tuple[float, ServiceView] | None = None
        for addon in services.values():
            if not (addon.is_addon and addon.active and (addon.id in staff.service_ids or staff.id in addon.staff_ids)):
                continue
            if addon.duration_minutes > after.minutes:
                continue
            had = bool(score and addon.id in score.preferred_services)
            p = 0.08 + 0.5 * popularity.get((main.id, addon.id), 0.0) + (0.25 if had else 0.0)
            if score:
                p *= 0.5 + score.upsell_score / 100
            if best is None or p * addon.price_paise > best[0] * best[1].price_paise:
                best = (round(min(p, 0.9), 3), addon)
        if best is None or best[0] < MIN_PROBABILITY:
            continue
        p, addon = best
        local = booking.start.astimezone(salon.zone)
        share = popularity.get((main.id, addon.id), 0.0)
        because = (f"{round(share * 100)}% of {main.name} customers add it" if share
                   else "they have had it before")
        price = rupees_from_paise(addon.price_paise)
        proposals.append(Proposal(
            agent_name=AgentName.UPSELL,
            decision_type=DecisionType.GAP_FILL,
            action=Action.SEND_UPSELL_OFFER,
            trigger_type="upcoming_booking",
            trigger_id=booking.id,
            reason=(f"Suggest {addon.name} (₹{price}, {addon.duration_minutes} min) to {customer.first_name} after "
                    f"the {local:%a %-I:%M %p} {main.name}: {staff.name} is free afterwards and {because}."),
            case_key=booking.id,
            expected_value=round(p * price, 2),
            potential_revenue=price,
            probability=p,
            customer_id=customer.id,
            staff_id=staff.id,
            service_id=addon.id,
            booking_id=booking.id,
            time_slot=booking.end,
            slot_end=booking.end + timedelta(minutes=addon.duration_minutes),
            intent=MessageIntent.UPSELL_OFFER,
            outreach_type=OutreachType.REBOOKING,
            category=MessageCategory.MARKETING,
            channel="whatsapp",
            valid_until=booking.start,
            details={"main_service_id": main.id, "customer_name": customer.name, "staff_name": staff.name,
                     "service_name": addon.name},
        ))
    return proposals
