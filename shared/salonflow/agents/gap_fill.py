"""gap_fill_agent: offer an open gap to the few customers most likely to take it.

Per open gap, in waves: when no offer for the gap is still waiting for an answer and fewer than
`max_fill_attempts` waves went out, the next wave goes to the top `offer_wave_size` candidates by expected value
(P(accept) x value) who were never asked about this gap. The first confirmed "yes" books the slot atomically
(services.gap_fill_service); later "yes" replies get a polite "slot taken".

The waitlist goes first, in its own fair order: a gap's first wave is waitlist_agent's when a waitlist entry
matches it. Later waves are this agent's, over waitlist entries, due regulars and move-ups alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from salonflow.agents.candidates import Candidate, Source, gap_candidates, offered_slot, waitlist_fits
from salonflow.agents.holdout import GAP_FAMILY, in_holdout
from salonflow.agents.proposals import Action, AgentName, Proposal
from salonflow.agents.snapshot import GapView, SalonSnapshot
from salonflow.domain.enums import (
    CustomerSegment,
    DecisionType,
    GapStatus,
    MessageCategory,
    MessageIntent,
    OutreachType,
    WaitlistStatus,
)
from salonflow.domain.money import rupees_from_paise


def wave_can_start(snapshot: SalonSnapshot, gap: GapView, now: datetime) -> bool:
    if gap.status is not GapStatus.OPEN or gap.end <= now:
        return False
    if gap.fill_attempts >= snapshot.salon.settings.max_fill_attempts:
        return False
    if any(d.in_flight(now) for d in snapshot.decided_about(gap.id)):
        return False  # the last wave is with the owner, or deferred by governance (budget, quiet hours)
    return not any(o.is_live(now) for o in snapshot.outreach_about(gap.id))


def asked_about(snapshot: SalonSnapshot, gap_id: str) -> set[str]:
    """Customers already offered this gap, or proposed for it (an owner's "no" included): never asked twice."""
    return ({o.customer_id for o in snapshot.outreach_about(gap_id)}
            | {d.customer_id for d in snapshot.decided_about(gap_id) if d.customer_id})


def waitlist_goes_first(snapshot: SalonSnapshot, gap: GapView, now: datetime) -> bool:
    """The first wave of a gap belongs to the waitlist (waitlist_agent, fair order) when an entry matches it.

    Later waves are gap fill's, ranked by expected value over all three candidate kinds, waitlist included.
    """
    if gap.fill_attempts > 0:
        return False
    asked = asked_about(snapshot, gap.id)
    lead = snapshot.salon.settings.min_lead_minutes
    for entry in snapshot.waitlist:
        service = snapshot.services.get(entry.service_id)
        if service is None or entry.customer_id in asked:
            continue
        slot = offered_slot(gap, service, now, lead)
        if slot is not None and waitlist_fits(entry, gap, slot, now):
            return True
    return False


def candidate_position(snapshot: SalonSnapshot, candidate: Candidate) -> str | None:
    """ "1st in line" for a waitlist candidate, in the waitlist's fair order (priority, then first come)."""
    if candidate.waitlist_id is None:
        return None
    waiting = sorted((w for w in snapshot.waitlist if w.status is WaitlistStatus.WAITING),
                     key=lambda w: (-w.priority, w.created_at, w.id))
    for n, entry in enumerate(waiting, start=1):
        if entry.id == candidate.waitlist_id:
            return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')} in line"
    return None


def offer_proposal(
    snapshot: SalonSnapshot,
    gap: GapView,
    candidate: Candidate,
    now: datetime,
    agent: AgentName,
    rank: int,
) -> Proposal:
    salon = snapshot.salon
    service = snapshot.services[candidate.service_id]
    customer = snapshot.customers[candidate.customer_id]
    staff = snapshot.staff.get(gap.staff_id)
    staff_name = staff.name if staff else gap.staff_id
    score = snapshot.scores.get(candidate.customer_id)
    segment = score.segment if score else CustomerSegment.NEW
    local = candidate.slot.start.astimezone(salon.zone)
    when = f"{local:%-I:%M %p}" if local.date() == now.astimezone(salon.zone).date() else f"{local:%a %-d %b %-I:%M %p}"
    price = rupees_from_paise(service.price_paise)
    pct = round(candidate.probability * 100)
    position = candidate_position(snapshot, candidate)
    why = {
        Source.WAITLIST: f"is {position} on the waitlist for it" if position else "is on the waitlist for it",
        Source.MOVE_UP: "has a later booking for it and could come earlier",
        Source.DUE_REGULAR: "is a regular due for a visit",
    }[candidate.source]
    factors = list(candidate.factors)
    said = factors[0] if len(factors) == 1 else ", ".join(factors[:-1]) + " and " + factors[-1] if factors else ""
    reason = (
        f"Offer {customer.first_name} the {when} {service.name} slot with {staff_name} (₹{price}): "
        f"{customer.first_name} {why}{': ' + said if said else ''} - about {pct}% likely to accept."
    )
    valid_until = min(now + timedelta(minutes=salon.settings.offer_valid_minutes), candidate.slot.start)
    action, intent, outreach_type, decision_type = {
        Source.WAITLIST: (Action.SEND_WAITLIST_OFFER, MessageIntent.WAITLIST_OFFER,
                          OutreachType.WAITLIST_PROMOTION, DecisionType.WAITLIST_PROMOTION),
        Source.MOVE_UP: (Action.SEND_MOVE_UP_OFFER, MessageIntent.GAP_FILL_OFFER,
                         OutreachType.REBOOKING, DecisionType.GAP_FILL),
        Source.DUE_REGULAR: (Action.SEND_GAP_OFFER, MessageIntent.GAP_FILL_OFFER,
                             OutreachType.GAP_FILL, DecisionType.GAP_FILL),
    }[candidate.source]
    return Proposal(
        agent_name=agent,
        decision_type=decision_type,
        action=action,
        trigger_type="schedule_gap",
        trigger_id=gap.id,
        reason=reason,
        case_key=gap.id,  # the whole gap is treated or held out, so fill rates compare cleanly
        expected_value=round(rupees_from_paise(round(candidate.expected_value_paise)), 2),
        potential_revenue=price,
        probability=candidate.probability,
        customer_id=candidate.customer_id,
        staff_id=gap.staff_id,
        service_id=candidate.service_id,
        booking_id=candidate.booking_id,
        gap_id=gap.id,
        time_slot=candidate.slot.start,
        slot_end=candidate.slot.end,
        intent=intent,
        outreach_type=outreach_type,
        category=MessageCategory.SERVICE,
        channel="whatsapp",
        valid_until=valid_until,
        details={
            "wave": gap.fill_attempts + 1,
            "rank": rank,
            "candidate_source": candidate.source.value,
            "customer_segment": segment.value,
            "gap_duration_minutes": gap.minutes,
            "staff_name": staff_name,
            "customer_name": customer.name,
            "service_name": service.name,
            "waitlist_id": candidate.waitlist_id,
            "factors": list(candidate.factors),
        },
    )


def holdout_marker(snapshot: SalonSnapshot, gap: GapView) -> Proposal:
    share = round(snapshot.salon.settings.holdout_share * 100)
    return Proposal(
        agent_name=AgentName.GAP_FILL, decision_type=DecisionType.GAP_FILL, action=Action.HOLDOUT_NO_ACTION,
        trigger_type="schedule_gap", trigger_id=gap.id, case_key=gap.id, gap_id=gap.id, staff_id=gap.staff_id,
        time_slot=gap.start, slot_end=gap.end, potential_revenue=gap.potential_revenue,
        reason=(f"Leave this gap alone on purpose: it fell in the random {share}% holdout that shows how often "
                f"gaps fill without us."),
        details={"gap_duration_minutes": gap.minutes},
    )


def gap_fill_agent(snapshot: SalonSnapshot, now: datetime) -> list[Proposal]:
    salon = snapshot.salon
    wave = salon.settings.offer_wave_size
    proposals: list[Proposal] = []
    offered: set[str] = set()  # one offer per customer per run, whatever the number of gaps
    for gap in sorted(snapshot.gaps, key=lambda g: (g.start, g.id)):
        if not wave_can_start(snapshot, gap, now):
            continue
        if in_holdout(salon.id, GAP_FAMILY, gap.id, salon.settings.holdout_share):
            proposals.append(holdout_marker(snapshot, gap))  # recorded once; nobody is offered this gap
            continue
        if waitlist_goes_first(snapshot, gap, now):
            continue
        ranked = [c for c in gap_candidates(snapshot, gap, now) if c.customer_id not in offered]
        for rank, candidate in enumerate(ranked[:wave], start=1):
            offered.add(candidate.customer_id)
            proposals.append(offer_proposal(snapshot, gap, candidate, now, AgentName.GAP_FILL, rank))
    return proposals
