"""Customer scores (`customer_scores`), computed exactly in the spec's shape.

`compute_customer_score` rebuilds one customer's score from their booking history — run when a booking completes
(or is marked no-show / cancelled), so it costs one customer's bookings, never the salon's. The hourly sweep uses
`refresh_customer_score`, which only ages the time-dependent parts (overdue, first visit not repeated) from the
stored score itself, so the sweep reads score documents and no bookings at all.

Churn risk (0-100, higher = more risk) is a sum of named factors, so the owner sees *why*:
- overdue / lapsed: days since the last visit beyond 1.5x / 3x the customer's own usual interval (up to 50);
- decreasing_frequency: fewer than half as many visits in the last 180 days as in the 180 before (20);
- recent_no_show: a no-show in the last 12 months (10 each, up to 20);
- frequent_cancellations: two or more cancellations within 24 h of the appointment in 12 months (10);
- unresponsive: three or more messages and under 20 % answered (10);
- no_return_after_first_visit: one visit, more than 60 days ago (40).
Segments: at_risk (churn ≥ 60, it takes precedence), vip / high_value by spend in the last 12 months (salon
thresholds), new (at most one visit), otherwise regular.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from salonflow.agents.candidates import time_slot_labels
from salonflow.agents.snapshot import AgentSettings, BookingView, CustomerView, OutreachView
from salonflow.domain.customer_scores import (
    ChurnRisk,
    CustomerScore,
    Engagement,
    Ltv,
    Preferences,
    Scores,
    VisitFrequency,
)
from salonflow.domain.enums import BookingStatus, Channel, CustomerSegment, OutreachStatus
from salonflow.domain.ids import customer_score_id
from salonflow.domain.money import rupees_from_paise

AT_RISK_FROM = 60
SINGLE_VISIT_LAPSE_DAYS = 60
_SENT = {OutreachStatus.SENT, OutreachStatus.DELIVERED, OutreachStatus.READ, OutreachStatus.RESPONDED}


def overdue_points(days_since: int, average_days_between: float | None) -> tuple[int, str | None]:
    if not average_days_between:
        return 0, None
    ratio = days_since / average_days_between
    if ratio <= 1.5:
        return 0, None
    return min(50, round(25 * (ratio - 1))), ("lapsed" if ratio > 3 else "overdue")


def single_visit_points(total_visits: int, days_since: int) -> tuple[int, str | None]:
    if total_visits == 1 and days_since > SINGLE_VISIT_LAPSE_DAYS:
        return 40, "no_return_after_first_visit"
    return 0, None


def segment_for(churn: int, total_visits: int, last_12_months_paise: int, settings: AgentSettings) -> CustomerSegment:
    if churn >= AT_RISK_FROM and total_visits >= 1:
        return CustomerSegment.AT_RISK
    if last_12_months_paise >= settings.vip_annual_spend_paise:
        return CustomerSegment.VIP
    if last_12_months_paise >= settings.high_value_annual_spend_paise:
        return CustomerSegment.HIGH_VALUE
    if total_visits <= 1:
        return CustomerSegment.NEW
    return CustomerSegment.REGULAR


_REFERRAL_BASE = {
    CustomerSegment.VIP: 60,
    CustomerSegment.HIGH_VALUE: 50,
    CustomerSegment.REGULAR: 40,
    CustomerSegment.NEW: 20,
    CustomerSegment.AT_RISK: 10,
}


def compute_customer_score(
    salon_id: str,
    customer: CustomerView,
    history: Sequence[BookingView],
    outreach: Sequence[OutreachView],
    now: datetime,
    zone: ZoneInfo,
    settings: AgentSettings,
    created_at: datetime | None = None,
) -> CustomerScore:
    """The full score of one customer from all of their bookings and their recent outreach."""
    today = now.astimezone(zone).date()
    completed = sorted((b for b in history if b.status is BookingStatus.COMPLETED and b.start <= now),
                       key=lambda b: b.start)
    visit_days = sorted({b.start.astimezone(zone).date() for b in completed})
    total_visits = len(completed)
    total_paise = sum(b.price_paise for b in completed)
    year_paise = sum(b.price_paise for b in completed if b.start > now - timedelta(days=365))
    intervals = [(b - a).days for a, b in itertools.pairwise(visit_days)]
    average = float(statistics.median(intervals)) if intervals else None
    last_visit = visit_days[-1] if visit_days else None
    days_since = (today - last_visit).days if last_visit else 0
    average_per_visit = total_paise // total_visits if total_visits else 0
    projected = round(average_per_visit * 365 / average) if average else year_paise

    factors: list[str] = []
    churn = 0
    for points, factor in (overdue_points(days_since, average), single_visit_points(total_visits, days_since)):
        if factor:
            churn += points
            factors.append(factor)
    recent = sum(1 for d in visit_days if d > today - timedelta(days=180))
    before = sum(1 for d in visit_days if today - timedelta(days=360) < d <= today - timedelta(days=180))
    if before >= 2 and recent * 2 < before:
        churn += 20
        factors.append("decreasing_frequency")
    year_ago = now - timedelta(days=365)
    no_shows = sum(1 for b in history if b.status is BookingStatus.NO_SHOW and b.start > year_ago)
    if no_shows:
        churn += min(20, 10 * no_shows)
        factors.append("recent_no_show")
    late_cancels = sum(
        1 for b in history
        if b.status is BookingStatus.CANCELLED and b.cancelled_at and b.start > year_ago
        and b.start - b.cancelled_at < timedelta(hours=24)
    )
    if late_cancels >= 2:
        churn += 10
        factors.append("frequent_cancellations")
    sent = [o for o in outreach if o.status in _SENT]
    answered = [o for o in sent if o.status is OutreachStatus.RESPONDED]
    response_rate = round(len(answered) / len(sent), 2) if sent else 0.0
    if len(sent) >= 3 and response_rate < 0.2:
        churn += 10
        factors.append("unresponsive")
    churn = min(churn, 100)

    segment = segment_for(churn, total_visits, year_paise, settings)
    staff_counts = Counter(b.staff_id for b in completed)
    service_counts = Counter(b.service_id for b in completed)
    slot_counts: Counter[str] = Counter()
    for b in completed:
        slot_counts.update(time_slot_labels(b.start, zone))
    preferred_slots = [s for s in ("morning", "afternoon", "evening") if slot_counts[s] >= 0.4 * total_visits > 0]
    if total_visits and slot_counts["weekend"] >= 0.5 * total_visits:
        preferred_slots.append("weekend")
    last_response = max((o.created_at for o in answered), default=None)
    distinct_services = len(service_counts)
    upsell = min(100, 20 + 15 * max(distinct_services - 1, 0) + (20 if total_visits >= 3 else 0)
                 + (20 if response_rate >= 0.5 else 0))
    referral = min(100, _REFERRAL_BASE[segment] + round(20 * response_rate) + min(20, total_visits))
    return CustomerScore(
        id=customer_score_id(customer.id),
        salon_id=salon_id,
        customer_id=customer.id,
        segment=segment,
        ltv=Ltv(
            total=rupees_from_paise(total_paise),
            last_12_months=rupees_from_paise(year_paise),
            projected_annual=rupees_from_paise(projected),
            average_per_visit=rupees_from_paise(average_per_visit),
        ),
        visit_frequency=VisitFrequency(
            total_visits=total_visits,
            last_90_days=sum(1 for b in completed if b.start > now - timedelta(days=90)),
            average_days_between=average,
            last_visit=last_visit,
            next_predicted=last_visit + timedelta(days=round(average)) if last_visit and average else None,
        ),
        churn_risk=ChurnRisk(score=churn, factors=factors, last_assessment=today),
        preferences=Preferences(
            preferred_staff=[s for s, n in staff_counts.most_common(2) if n >= 0.3 * total_visits],
            preferred_services=[s for s, _ in service_counts.most_common(3)],
            preferred_time_slots=preferred_slots,
        ),
        engagement=Engagement(
            whatsapp_opt_in=any((Channel.WHATSAPP, c) in customer.consent for c in ("service", "marketing")),
            response_rate=response_rate,
            last_response=last_response.astimezone(zone).date() if last_response else None,
        ),
        scores=Scores(retention=100 - churn, upsell=upsell, referral=referral),
        created_at=created_at or now,
        updated_at=now,
    )


def refresh_customer_score(score: CustomerScore, now: datetime, zone: ZoneInfo, settings: AgentSettings) -> CustomerScore:
    """Age a stored score to `today` without its bookings: only overdue and single-visit factors move with time."""
    today = now.astimezone(zone).date()
    churn_risk = score.churn_risk
    frequency = score.visit_frequency
    if frequency.last_visit is None or churn_risk.last_assessment == today:
        return score
    assessed = churn_risk.last_assessment or today
    old_since = (assessed - frequency.last_visit).days
    new_since = (today - frequency.last_visit).days
    churn = churn_risk.score
    churn -= overdue_points(old_since, frequency.average_days_between)[0]
    churn -= single_visit_points(frequency.total_visits, old_since)[0]
    time_factors = {"overdue", "lapsed", "no_return_after_first_visit"}
    factors = [f for f in churn_risk.factors if f not in time_factors]
    for points, factor in (overdue_points(new_since, frequency.average_days_between),
                           single_visit_points(frequency.total_visits, new_since)):
        if factor:
            churn += points
            factors.insert(0, factor)
    churn = max(0, min(churn, 100))
    year_paise = score.ltv.last_12_months * 100
    segment = segment_for(churn, frequency.total_visits, year_paise, settings)
    return score.model_copy(update={
        "segment": segment,
        "churn_risk": ChurnRisk(score=churn, factors=factors, last_assessment=today),
        "scores": score.scores.model_copy(update={"retention": 100 - churn}),
        "updated_at": now,
    })


def last_visit_date(score: CustomerScore) -> date | None:
    return score.visit_frequency.last_visit
