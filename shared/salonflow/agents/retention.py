"""retention_agent: win back customers who are slipping away, with an offer where the salon allows one.

Eligible: segment at_risk, marketing consent, no upcoming booking (someone who is coming needs no win-back), no
win-back in the last `win_back_cooldown_days`, and no marketing message at all in the last
`marketing_cooldown_days` (one promotional message a week at most, across every agent).

A win-back is a marketing message, so it is recorded as a `discount_offer` decision and follows the approval rules
(supervised; above 20 % manual only) even when it carries no discount (discount_percent None).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from salonflow.agents.proposals import Action, AgentName, Proposal
from salonflow.agents.snapshot import SalonSnapshot
from salonflow.domain.enums import (
    CustomerSegment,
    DecisionType,
    MessageCategory,
    MessageIntent,
    OutreachType,
)

WIN_BACK_VALID_DAYS = 14
_FACTOR_WORDS = {
    "overdue": "is overdue for a visit",
    "lapsed": "has lapsed well past their usual interval",
    "decreasing_frequency": "comes less often than before",
    "recent_no_show": "missed a recent appointment",
    "frequent_cancellations": "has cancelled late more than once",
    "unresponsive": "rarely answers messages",
    "no_return_after_first_visit": "never came back after a first visit",
}


def marketing_quiet_enough(snapshot: SalonSnapshot, customer_id: str, now: datetime) -> bool:
    days = snapshot.salon.settings.marketing_cooldown_days
    return not any(
        o.category is MessageCategory.MARKETING and o.created_at > now - timedelta(days=days)
        for o in snapshot.outreach_for(customer_id)
    )


def retention_agent(snapshot: SalonSnapshot, now: datetime) -> list[Proposal]:
    settings = snapshot.salon.settings
    zone = snapshot.salon.zone
    discount = min(settings.win_back_discount_percent, settings.max_discount_percent) if settings.offers_allowed else 0
    proposals: list[Proposal] = []
    for score in sorted(snapshot.scores.values(), key=lambda s: (-s.churn_score, s.customer_id)):
        if len(proposals) >= settings.win_back_per_run:
            break
        if score.segment is not CustomerSegment.AT_RISK:
            continue
        customer = snapshot.customers.get(score.customer_id)
        if customer is None or not customer.may_contact(MessageCategory.MARKETING):
            continue
        if any(b.start > now for b in snapshot.active_bookings_of(customer.id)):
            continue
        if any(o.outreach_type == OutreachType.RETENTION.value
               and o.created_at > now - timedelta(days=settings.win_back_cooldown_days)
               for o in snapshot.outreach_for(customer.id)):
            continue
        if not marketing_quiet_enough(snapshot, customer.id, now):
            continue
        rate = score.response_rate if score.response_rate is not None else 0.3
        probability = round(max(0.02, 0.12 * (0.5 + rate) * (1 - score.churn_score / 200) * (1 + discount / 20)), 3)
        value = score.average_per_visit * (100 - discount) / 100
        since = (now.astimezone(zone).date() - score.last_visit).days if score.last_visit else None
        said = [_FACTOR_WORDS[f] for f in score.churn_factors if f in _FACTOR_WORDS][:2]
        usual = f", usually every {round(score.average_days_between)} days" if score.average_days_between else ""
        offer = f" with {discount}% off" if discount else ""
        last = f"last came {since} days ago{usual}" if since is not None else "has not visited"
        reason = (f"Invite {customer.first_name} back{offer}: {customer.first_name} {last} and "
                  f"{' and '.join(said) or 'shows churn risk'} (churn risk {score.churn_score}/100).")
        proposals.append(Proposal(
            agent_name=AgentName.RETENTION,
            decision_type=DecisionType.DISCOUNT_OFFER,
            action=Action.SEND_WIN_BACK,
            trigger_type="customer",
            trigger_id=customer.id,
            reason=reason,
            case_key=f"{customer.id}:{now.astimezone(zone):%Y-%m}",
            expected_value=round(probability * value, 2),
            potential_revenue=round(value),
            probability=probability,
            customer_id=customer.id,
            intent=MessageIntent.WIN_BACK,
            outreach_type=OutreachType.RETENTION,
            category=MessageCategory.MARKETING,
            channel="whatsapp",
            discount_percent=discount or None,
            valid_until=now + timedelta(days=WIN_BACK_VALID_DAYS),
            details={
                "customer_segment": score.segment.value,
                "customer_name": customer.name,
                "churn_score": score.churn_score,
                "churn_factors": list(score.churn_factors),
            },
        ))
    return proposals
