"""Turning stored documents (domain models) into the read models agents decide with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from salonflow.agents.snapshot import (
    AgentSettings,
    ApprovalRecord,
    BookingView,
    CustomerView,
    DecisionRecord,
    GapView,
    Interval,
    OutreachView,
    SalonView,
    ScoreView,
    ServiceView,
    Span,
    StaffView,
    WaitlistView,
)
from salonflow.domain.approvals import Approval
from salonflow.domain.bookings import Booking
from salonflow.domain.customer_scores import CustomerScore
from salonflow.domain.customers import Customer
from salonflow.domain.decisions import AutonomousDecision
from salonflow.domain.enums import BookingStatus, Weekday
from salonflow.domain.gaps import Gap
from salonflow.domain.outreach import Outreach
from salonflow.domain.salon import Salon
from salonflow.domain.schedule import TimeRange
from salonflow.domain.services import Service
from salonflow.domain.staff import Staff
from salonflow.domain.waitlist import WaitlistEntry

AGENT_SETTINGS_KEY = "agent_settings"  # optional map in agent_states/{agent}.config.custom


def _spans(hours: Mapping[Weekday, list[TimeRange]]) -> dict[Weekday, tuple[Span, ...]]:
    return {day: tuple(Span(r.start, r.end) for r in ranges) for day, ranges in hours.items()}


def agent_settings(salon: Salon, custom: Mapping[str, Any] | None = None) -> AgentSettings:
    """Salon-wide settings from the salon document, tuned per agent by `config.custom.agent_settings`."""
    values: dict[str, Any] = {
        "holdout_share": salon.holdout_share,
        "offers_allowed": salon.offers.allowed,
        "max_discount_percent": salon.offers.max_discount_percent,
    }
    overrides = (custom or {}).get(AGENT_SETTINGS_KEY)
    if isinstance(overrides, Mapping):
        known = set(AgentSettings.__dataclass_fields__)
        values.update({k: v for k, v in overrides.items() if k in known})
    return AgentSettings(**values)


def salon_view(salon: Salon, custom: Mapping[str, Any] | None = None) -> SalonView:
    return SalonView(id=salon.id, name=salon.name, timezone=salon.timezone,
                     opening_hours=_spans(salon.opening_hours), settings=agent_settings(salon, custom))


def staff_view(staff: Staff) -> StaffView:
    return StaffView(
        id=staff.id, name=staff.name, working_hours=_spans(staff.working_hours), breaks=_spans(staff.breaks),
        leave=tuple(Interval(leave.start, leave.end) for leave in staff.leave),
        service_ids=frozenset(staff.service_ids), active=staff.active,
    )


def service_view(service: Service) -> ServiceView:
    return ServiceView(id=service.id, name=service.name, duration_minutes=service.duration_minutes,
                       price_paise=service.price_paise, staff_ids=frozenset(service.staff_ids),
                       is_addon=service.is_add_on, category=service.category, active=service.active)


def customer_view(customer: Customer, history: Iterable[Booking] = (), completed_visits: int | None = None) -> CustomerView:
    """`history` (if given) supplies the no-show and late-cancellation counts; `completed_visits` may come from
    the customer's score instead of reading every completed booking."""
    consent = frozenset(
        (channel.value, category)
        for channel, per_category in customer.consent.items()
        for category, record in per_category.items()
        if record.granted
    )
    past = list(history)
    return CustomerView(
        id=customer.id, name=customer.name, phone=customer.phone, language=customer.language, consent=consent,
        last_inbound_at=customer.last_inbound_message_at,
        completed_visits=completed_visits if completed_visits is not None
        else sum(1 for b in past if b.status is BookingStatus.COMPLETED),
        no_shows=sum(1 for b in past if b.status is BookingStatus.NO_SHOW),
        late_cancellations=sum(1 for b in past if b.status is BookingStatus.CANCELLED and b.late_cancellation),
    )


def booking_view(booking: Booking) -> BookingView:
    return BookingView(
        id=booking.id, customer_id=booking.customer_id, staff_id=booking.staff_id, service_id=booking.service_id,
        start=booking.start_time, end=booking.end_time, status=booking.status, price_paise=booking.price_paise,
        created_at=booking.created_at, confirmation_status=booking.confirmation_status,
        cancelled_at=booking.cancelled_at,
    )


def waitlist_view(entry: WaitlistEntry) -> WaitlistView:
    return WaitlistView(
        id=entry.id, customer_id=entry.customer_id, service_id=entry.service_id, created_at=entry.created_at,
        status=entry.status, priority=entry.priority, preferred_staff_ids=tuple(entry.preferred_staff_ids),
        windows=tuple(Interval(w.start, w.end) for w in entry.preferred_windows), expires_at=entry.expires_at,
    )


def gap_view(gap: Gap) -> GapView:
    return GapView(
        id=gap.id, staff_id=gap.staff_id, start=gap.start_time, end=gap.end_time, status=gap.status,
        potential_revenue=gap.potential_revenue, services_fittable=tuple(gap.services_fittable),
        fill_attempts=gap.fill_attempts, last_attempt_at=gap.last_attempt_at, filled_by=gap.filled_by,
    )


def outreach_view(outreach: Outreach) -> OutreachView:
    return OutreachView(
        id=outreach.id, customer_id=outreach.customer_id, outreach_type=outreach.outreach_type.value,
        status=outreach.status, created_at=outreach.created_at, trigger_id=outreach.trigger_id,
        expires_at=outreach.expires_at, category=outreach.category,
        response_action=outreach.response.action.value if outreach.response.action else None,
        intent=outreach.intent,
    )


def score_view(score: CustomerScore) -> ScoreView:
    return ScoreView(
        customer_id=score.customer_id, segment=score.segment,
        response_rate=score.engagement.response_rate if score.engagement.last_response or
        score.engagement.response_rate else None,
        preferred_staff=tuple(score.preferences.preferred_staff),
        preferred_services=tuple(score.preferences.preferred_services),
        preferred_time_slots=tuple(score.preferences.preferred_time_slots),
        average_days_between=score.visit_frequency.average_days_between,
        last_visit=score.visit_frequency.last_visit, next_predicted=score.visit_frequency.next_predicted,
        churn_score=score.churn_risk.score, churn_factors=tuple(score.churn_risk.factors),
        average_per_visit=score.ltv.average_per_visit, upsell_score=score.scores.upsell,
    )


def decision_record(decision: AutonomousDecision) -> DecisionRecord:
    details = decision.action_details.model_extra or {}
    return DecisionRecord(
        id=decision.id, agent_name=decision.agent_name, decision_type=decision.decision_type.value,
        action_taken=decision.action_taken, outcome_status=decision.outcome.status.value,
        created_at=decision.created_at, revenue_potential=decision.revenue_impact.potential,
        revenue_actual=decision.revenue_impact.actual, approval_status=decision.approval.status.value,
        expires_at=decision.expires_at, holdout=bool(details.get("holdout")),
        case_key=details.get("case_key"), trigger_id=decision.context.trigger_id,
        customer_id=decision.context.customer_id,
        case_status=decision.case_outcome.status.value if decision.case_outcome else None,
        case_revenue=decision.case_outcome.revenue if decision.case_outcome else 0,
    )


def approval_record(approval: Approval) -> ApprovalRecord:
    return ApprovalRecord(id=approval.id, decision_id=approval.decision_id, status=approval.status.value,
                          created_at=approval.created_at, expires_at=approval.expires_at,
                          responded_at=approval.response.responded_at)
