"""Discount and dynamic-pricing decisions.

Off-peak discounts (`discount_offer`, supervised; above 20 % manual only): only for an open gap that is predicted to
stay empty — its weekday/hour has been mostly empty in past weeks (occupancy from the daily analytics documents)
AND a plain offer wave already went out without a taker. A slot that usually fills, or that nobody has been asked
about yet, is never discounted. The discounted offer goes to the best remaining candidate for the gap.

Dynamic pricing (`dynamic_pricing`, always needs approval): per weekday, runs of hours that were consistently
quiet (< 30 % booked) get a proposed off-peak price and runs that were nearly full (> 90 %) a peak price. At most
one proposal per run of hours per ISO week, so the owner is not asked again every hour.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from salonflow.agents.candidates import Source, gap_candidates
from salonflow.agents.gap_fill import offer_proposal, wave_can_start
from salonflow.agents.holdout import GAP_FAMILY, in_holdout
from salonflow.agents.proposals import Action, AgentName, Proposal
from salonflow.agents.snapshot import GapView, SalonSnapshot
from salonflow.domain.enums import DecisionType, MessageCategory, MessageIntent, OutreachType, Weekday

LIKELY_TO_FILL = 0.6
QUIET, BUSY = 0.3, 0.9
PRICE_STEP_PERCENT = 10
DISCOUNT_ELASTICITY = 3.0  # each 10 % off makes a yes ~30 % more likely (relative)


def predicted_fill(snapshot: SalonSnapshot, gap: GapView) -> float | None:
    local = gap.start.astimezone(snapshot.salon.zone)
    return snapshot.occupancy.get((Weekday.of(local.date()), local.hour))


def discount_for(occupancy: float, max_percent: int) -> int:
    wanted = 25 if occupancy < 0.1 else 20 if occupancy < 0.2 else 15 if occupancy < 0.4 else 10
    return min(wanted, max_percent)


def off_peak_discount_proposals(snapshot: SalonSnapshot, now: datetime) -> list[Proposal]:
    settings = snapshot.salon.settings
    if not settings.offers_allowed or settings.max_discount_percent <= 0:
        return []
    proposals = []
    for gap in sorted(snapshot.gaps, key=lambda g: (g.start, g.id)):
        fill = predicted_fill(snapshot, gap)
        if fill is None or fill >= LIKELY_TO_FILL or gap.fill_attempts < 1 or not wave_can_start(snapshot, gap, now):
            continue
        if in_holdout(snapshot.salon.id, GAP_FAMILY, gap.id, settings.holdout_share):
            continue
        percent = discount_for(fill, settings.max_discount_percent)
        ranked = [c for c in gap_candidates(snapshot, gap, now, frozenset({Source.DUE_REGULAR, Source.WAITLIST}))
                  if snapshot.customers[c.customer_id].may_contact(MessageCategory.MARKETING)]
        if not ranked:
            continue
        # Runs with the gap-fill agent (same schedule, same budget): the discount is its next move on a gap.
        base = offer_proposal(snapshot, gap, ranked[0], now, AgentName.GAP_FILL, rank=1)
        probability = min(0.95, (base.probability or 0) * (1 + DISCOUNT_ELASTICITY * percent / 100))
        price = base.potential_revenue * (100 - percent) / 100
        proposals.append(replace(
            base,
            decision_type=DecisionType.DISCOUNT_OFFER,
            action=Action.OFFER_SLOT_DISCOUNT,
            intent=MessageIntent.DISCOUNT_OFFER,
            outreach_type=OutreachType.DISCOUNT_OFFER,
            category=MessageCategory.MARKETING,
            discount_percent=percent,
            probability=round(probability, 3),
            expected_value=round(probability * price, 2),
            reason=(f"Offer {percent}% off the slot to {base.details['customer_name'].split()[0]}: this "
                    f"{gap.start.astimezone(snapshot.salon.zone):%a %-I %p} hour is usually only "
                    f"{round(fill * 100)}% booked and {gap.fill_attempts} plain offer wave(s) found no taker."),
            details={**base.details, "predicted_fill": fill},
        ))
    return proposals


def dynamic_pricing_proposals(snapshot: SalonSnapshot, now: datetime) -> list[Proposal]:
    week = now.astimezone(snapshot.salon.zone).strftime("%G-W%V")
    proposals = []
    for weekday in Weekday:
        hours = sorted(h for (d, h) in snapshot.occupancy if d is weekday)
        for direction, test in (("off_peak", lambda v: v < QUIET), ("peak", lambda v: v > BUSY)):
            run: list[int] = []
            for hour in [*hours, None]:
                if hour is not None and test(snapshot.occupancy[(weekday, hour)]) and (not run or hour == run[-1] + 1):
                    run.append(hour)
                    continue
                if len(run) >= 2:
                    proposals.append(_pricing_proposal(snapshot, weekday, run, direction, week))
                run = [hour] if hour is not None and test(snapshot.occupancy[(weekday, hour)]) else []
    return proposals


def _pricing_proposal(snapshot: SalonSnapshot, weekday: Weekday, hours: list[int], direction: str,
                      week: str) -> Proposal:
    occupancy = sum(snapshot.occupancy[(weekday, h)] for h in hours) / len(hours)
    change = -PRICE_STEP_PERCENT if direction == "off_peak" else PRICE_STEP_PERCENT
    span = f"{weekday.value.title()} {hours[0]:02d}:00-{hours[-1] + 1:02d}:00"
    reason = (f"{'Lower' if change < 0 else 'Raise'} prices {abs(change)}% on {span}: those hours were "
              f"{round(occupancy * 100)}% booked on average in recent weeks.")
    return Proposal(
        agent_name=AgentName.ANALYTICS,  # it reads the occupancy history the analytics agent keeps
        decision_type=DecisionType.DYNAMIC_PRICING,
        action=Action.ADJUST_PRICE,
        trigger_type="time_slot",
        trigger_id=f"{weekday.value}:{hours[0]:02d}-{hours[-1] + 1:02d}",
        reason=reason,
        case_key=f"{weekday.value}:{hours[0]}-{hours[-1]}:{direction}:{week}",
        discount_percent=-change if change < 0 else None,
        details={"weekday": weekday.value, "hours": hours, "price_change_percent": change,
                 "average_occupancy": round(occupancy, 3), "week": week},
    )
