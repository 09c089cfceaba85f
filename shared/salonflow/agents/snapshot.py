"""`SalonSnapshot`: the only input an agent gets (besides `now`).

These are read models tailored to the decisions, not the stored documents: the loader in
`salonflow.services.snapshot_loader` fills only what a given agent needs (bookings in a date window, the customers
those bookings and candidates name, the open gaps ...), so a run costs reads in proportion to what it decides on,
not to the size of the salon. Money here is integer paise (`*_paise`), as in operational documents; proposals
report the spec's revenue fields in whole rupees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from salonflow.domain.enums import (
    BookingStatus,
    Channel,
    ConfirmationStatus,
    CustomerSegment,
    GapStatus,
    MessageCategory,
    OutreachStatus,
    WaitlistStatus,
    Weekday,
)


@dataclass(frozen=True)
class Span:
    """A wall-clock range within one salon-local day (end exclusive, never crossing midnight)."""

    start: time
    end: time


@dataclass(frozen=True)
class Interval:
    """An absolute, timezone-aware interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end.timestamp() - self.start.timestamp()) // 60)

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class AgentSettings:
    """Per-salon knobs of the agents; defaults are what a salon gets without configuring anything."""

    offer_wave_size: int = 3  # customers offered a gap at once
    max_fill_attempts: int = 3  # waves per gap before we leave it alone
    offer_valid_minutes: int = 15  # how long an offer (and its hold on the slot) stays open
    min_lead_minutes: int = 45  # nobody can reach the salon sooner than this
    gap_horizon_days: int = 2  # look this many salon-local days ahead for gaps
    holdout_share: float = 0.10
    offers_allowed: bool = True
    max_discount_percent: int = 20
    win_back_discount_percent: int = 10
    win_back_cooldown_days: int = 30
    win_back_per_run: int = 5  # each one is an owner approval: a handful an hour, highest risk first
    vip_annual_spend_paise: int = 2_000_000  # ₹20,000 in the last 12 months
    high_value_annual_spend_paise: int = 800_000  # ₹8,000
    marketing_cooldown_days: int = 7  # at most one marketing message per customer per week


@dataclass(frozen=True)
class SalonView:
    id: str
    name: str
    timezone: str = "Asia/Kolkata"
    opening_hours: Mapping[Weekday, tuple[Span, ...]] = field(default_factory=dict)
    settings: AgentSettings = field(default_factory=AgentSettings)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


@dataclass(frozen=True)
class StaffView:
    id: str
    name: str
    working_hours: Mapping[Weekday, tuple[Span, ...]] = field(default_factory=dict)
    breaks: Mapping[Weekday, tuple[Span, ...]] = field(default_factory=dict)
    leave: tuple[Interval, ...] = ()
    service_ids: frozenset[str] = frozenset()
    active: bool = True


@dataclass(frozen=True)
class ServiceView:
    id: str
    name: str
    duration_minutes: int
    price_paise: int
    staff_ids: frozenset[str] = frozenset()
    is_addon: bool = False
    category: str | None = None
    active: bool = True


@dataclass(frozen=True)
class CustomerView:
    id: str
    name: str
    phone: str
    language: str = "en"
    consent: frozenset[tuple[Channel | str, MessageCategory]] = frozenset()  # (channel, category) opted in
    last_inbound_at: datetime | None = None
    # Lifetime booking history counters (kept on the customer document or derived by the loader).
    completed_visits: int = 0
    no_shows: int = 0
    late_cancellations: int = 0

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    def may_contact(self, category: MessageCategory) -> bool:
        """Opted in on WhatsApp, the channel the executor messages on, for this category (governance re-checks
        before sending). Proposing someone reachable only by SMS would just be suppressed, again every run."""
        return (Channel.WHATSAPP, category) in self.consent

    def may_call(self) -> bool:
        return ("voice", MessageCategory.SERVICE) in self.consent


@dataclass(frozen=True)
class BookingView:
    id: str
    customer_id: str
    staff_id: str
    service_id: str
    start: datetime
    end: datetime
    status: BookingStatus
    price_paise: int
    created_at: datetime
    confirmation_status: ConfirmationStatus = ConfirmationStatus.NOT_REQUESTED
    cancelled_at: datetime | None = None

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    @property
    def is_active(self) -> bool:
        return self.status in (BookingStatus.BOOKED, BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class WaitlistView:
    id: str
    customer_id: str
    service_id: str
    created_at: datetime
    status: WaitlistStatus = WaitlistStatus.WAITING
    priority: int = 0  # higher first; the salon sets it (e.g. a VIP or a rebooked no-show victim)
    preferred_staff_ids: tuple[str, ...] = ()
    windows: tuple[Interval, ...] = ()  # empty = any time
    expires_at: datetime | None = None


@dataclass(frozen=True)
class GapView:
    id: str
    staff_id: str
    start: datetime
    end: datetime
    status: GapStatus = GapStatus.OPEN
    potential_revenue: int = 0  # rupees, as stored
    services_fittable: tuple[str, ...] = ()
    fill_attempts: int = 0
    last_attempt_at: datetime | None = None
    filled_by: str | None = None

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    @property
    def minutes(self) -> int:
        return self.interval.minutes


LIVE_OUTREACH = frozenset(
    {OutreachStatus.PENDING, OutreachStatus.SENT, OutreachStatus.DELIVERED, OutreachStatus.READ}
)


@dataclass(frozen=True)
class OutreachView:
    id: str
    customer_id: str
    outreach_type: str
    status: OutreachStatus
    created_at: datetime
    trigger_id: str | None = None
    expires_at: datetime | None = None
    category: MessageCategory | None = None
    response_action: str | None = None
    intent: str | None = None

    def is_live(self, now: datetime) -> bool:
        """Still waiting for an answer: not terminal and not past its expiry."""
        return self.status in LIVE_OUTREACH and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class ScoreView:
    """The parts of `customer_scores` the agents decide with."""

    customer_id: str
    segment: CustomerSegment = CustomerSegment.NEW
    response_rate: float | None = None
    preferred_staff: tuple[str, ...] = ()
    preferred_services: tuple[str, ...] = ()
    preferred_time_slots: tuple[str, ...] = ()
    average_days_between: float | None = None
    last_visit: date | None = None
    next_predicted: date | None = None
    churn_score: int = 0
    churn_factors: tuple[str, ...] = ()
    average_per_visit: int = 0  # rupees
    upsell_score: int = 0


@dataclass(frozen=True)
class DecisionRecord:
    """An `autonomous_decisions` document, as analytics and cleanup need it."""

    id: str
    agent_name: str
    decision_type: str
    action_taken: str
    outcome_status: str
    created_at: datetime
    revenue_potential: int = 0  # rupees
    revenue_actual: int = 0
    approval_status: str | None = None
    expires_at: datetime | None = None
    holdout: bool = False
    case_key: str | None = None
    trigger_id: str | None = None
    customer_id: str | None = None
    case_status: str | None = None  # no-show / retention / upsell: how the case ended, from the bookings
    case_revenue: int = 0  # rupees

    @property
    def awaiting_owner(self) -> bool:
        return self.approval_status == "pending" and self.outcome_status == "pending"

    def in_flight(self, now: datetime) -> bool:
        """An action under way: with the owner, deferred by governance, or sent and unanswered, until it
        expires (a stale one the cleanup run has not closed yet holds nothing up)."""
        return (self.outcome_status == "pending" and not self.holdout
                and (self.expires_at is None or self.expires_at > now))


@dataclass(frozen=True)
class ApprovalRecord:
    id: str
    decision_id: str
    status: str
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None = None


@dataclass(frozen=True)
class SalonSnapshot:
    salon: SalonView
    staff: Mapping[str, StaffView] = field(default_factory=dict)
    services: Mapping[str, ServiceView] = field(default_factory=dict)
    customers: Mapping[str, CustomerView] = field(default_factory=dict)
    scores: Mapping[str, ScoreView] = field(default_factory=dict)
    bookings: tuple[BookingView, ...] = ()  # in `window` (and any the agent asked for besides)
    waitlist: tuple[WaitlistView, ...] = ()
    gaps: tuple[GapView, ...] = ()
    outreach: tuple[OutreachView, ...] = ()  # recent outreach of the customers in the snapshot
    window: Interval | None = None  # the time range whose bookings are complete in `bookings`
    # Past occupancy per (weekday, local hour) in 0..1, from the per-day analytics documents.
    occupancy: Mapping[tuple[Weekday, int], float] = field(default_factory=dict)
    decisions: tuple[DecisionRecord, ...] = ()  # analytics (one day) and cleanup (pending ones)
    approvals: tuple[ApprovalRecord, ...] = ()

    def outreach_for(self, customer_id: str) -> list[OutreachView]:
        return [o for o in self.outreach if o.customer_id == customer_id]

    def outreach_about(self, trigger_id: str) -> list[OutreachView]:
        return [o for o in self.outreach if o.trigger_id == trigger_id]

    def decided_about(self, trigger_id: str) -> list[DecisionRecord]:
        """Decisions already made about a trigger (offers waiting for the owner, approved or rejected)."""
        return [d for d in self.decisions if d.trigger_id == trigger_id and not d.holdout]

    def active_bookings_of(self, customer_id: str) -> list[BookingView]:
        return [b for b in self.bookings if b.customer_id == customer_id and b.is_active]

    def service_price(self, service_id: str) -> int:
        service = self.services.get(service_id)
        return service.price_paise if service else 0


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant a salon-local wall time happens; a wall time skipped by DST moves to just after the jump."""
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=zone)
    if candidate.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != naive:
        candidate = (naive + timedelta(hours=1)).replace(tzinfo=zone)
    return candidate
