"""Every enumeration of the spec, with the spec's values, plus the few our operational data needs.

Values are the strings stored in Firestore. Members are `StrEnum`s so they compare equal to those strings.
Where the spec uses the same word for different sets (approval status, priority), each set gets its own enum.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class DecisionType(StrEnum):
    """`autonomous_decisions.decision_type` and `approvals.action_type`."""

    GAP_FILL = "gap_fill"
    NO_SHOW_PREVENTION = "no_show_prevention"
    WAITLIST_PROMOTION = "waitlist_promotion"
    DISCOUNT_OFFER = "discount_offer"
    DYNAMIC_PRICING = "dynamic_pricing"


class AutonomyLevel(StrEnum):
    """`autonomous_decisions.autonomy_level`; ordered from loosest to strictest."""

    FULL_AUTO = "full_auto"
    SUPERVISED = "supervised"
    MANUAL_ONLY = "manual_only"

    @property
    def strictness(self) -> int:
        """0 for full_auto, 1 for supervised, 2 for manual_only: compare levels with this."""
        return _AUTONOMY_ORDER.index(self)

    def at_least(self, floor: AutonomyLevel) -> bool:
        """True when this level is as strict as `floor` or stricter."""
        return self.strictness >= floor.strictness

    @staticmethod
    def strictest(*levels: AutonomyLevel) -> AutonomyLevel:
        return max(levels, key=lambda level: level.strictness)


_AUTONOMY_ORDER = (AutonomyLevel.FULL_AUTO, AutonomyLevel.SUPERVISED, AutonomyLevel.MANUAL_ONLY)


class DecisionApprovalStatus(StrEnum):
    """`autonomous_decisions.approval.status`."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    NOT_REQUIRED = "not_required"


class OutcomeStatus(StrEnum):
    """`autonomous_decisions.outcome.status`."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"


class AgentStatus(StrEnum):
    """`agent_states.status`."""

    ACTIVE = "active"
    PAUSED = "paused"
    ERROR = "error"
    CIRCUIT_BREAKER = "circuit_breaker"


class BreakerState(StrEnum):
    """`agent_states.circuit_breaker.state`."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class ApprovalPriority(StrEnum):
    """`approvals.priority`."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class ApprovalStatus(StrEnum):
    """`approvals.status`."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ApprovalAction(StrEnum):
    """`approvals.response.action`: what the approver chose (the spec leaves the values open)."""

    APPROVE = "approve"
    REJECT = "reject"


class AuditEventType(StrEnum):
    """`audit_logs.event_type`."""

    DECISION_MADE = "decision_made"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_GRANTED = "approval_granted"
    APPROVAL_REJECTED = "approval_rejected"
    CONFIG_CHANGED = "config_changed"
    MANUAL_OVERRIDE = "manual_override"
    EXTERNAL_CALL = "external_call"


class Severity(StrEnum):
    """`audit_logs.severity`."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class CustomerSegment(StrEnum):
    """`customer_scores.segment`."""

    VIP = "vip"
    HIGH_VALUE = "high_value"
    REGULAR = "regular"
    NEW = "new"
    AT_RISK = "at_risk"


class GapPriority(StrEnum):
    """`gaps.priority`."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class GapStatus(StrEnum):
    """`gaps.status`."""

    OPEN = "open"
    FILLED = "filled"
    EXPIRED = "expired"
    IGNORED = "ignored"


class OutreachType(StrEnum):
    """`outreach.outreach_type`."""

    GAP_FILL = "gap_fill"
    NO_SHOW_PREVENTION = "no_show_prevention"
    WAITLIST_PROMOTION = "waitlist_promotion"
    DISCOUNT_OFFER = "discount_offer"
    RETENTION = "retention"
    REBOOKING = "rebooking"


class Channel(StrEnum):
    """`outreach.channel`: the channels the spec sends outreach on."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"


class OutreachStatus(StrEnum):
    """`outreach.status`."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    RESPONDED = "responded"
    FAILED = "failed"
    EXPIRED = "expired"


class OutreachResponseAction(StrEnum):
    """`outreach.response.action`: what the customer's reply meant (the spec leaves the values open)."""

    ACCEPT = "accept"
    DECLINE = "decline"
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    OPT_OUT = "opt_out"
    UNRECOGNIZED = "unrecognized"


# ---- Operational data (designed by us, documented in docs/schema.md) ----


class ConsentChannel(StrEnum):
    """Channels a customer can consent to; `voice` exists here (no-show calls) but not as an outreach channel."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    VOICE = "voice"
    PUSH = "push"
    EMAIL = "email"


class MessageCategory(StrEnum):
    """Consent and quiet-hours category: service = reminders/confirmations, marketing = offers/win-back."""

    SERVICE = "service"
    MARKETING = "marketing"


class ConsentSource(StrEnum):
    """Where a consent grant or revocation came from (kept for proof of opt-in)."""

    IN_SALON = "in_salon"
    ONLINE_BOOKING = "online_booking"
    WHATSAPP_MESSAGE = "whatsapp_message"
    SMS_MESSAGE = "sms_message"
    VOICE_CALL = "voice_call"
    OWNER_APP = "owner_app"
    IMPORT = "import"
    API = "api"


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"

    @property
    def is_active(self) -> bool:
        """Booked or confirmed: the slot is taken and the visit has not happened yet."""
        return self in (BookingStatus.BOOKED, BookingStatus.CONFIRMED)


ACTIVE_BOOKING_STATUSES: tuple[BookingStatus, ...] = (BookingStatus.BOOKED, BookingStatus.CONFIRMED)


class BookingSource(StrEnum):
    WALK_IN = "walk_in"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    ONLINE = "online"
    OWNER_APP = "owner_app"
    AGENT = "agent"


class ConfirmationStatus(StrEnum):
    """Where a booking stands in the no-show prevention confirmation flow."""

    NOT_REQUESTED = "not_requested"
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    RESCHEDULE_REQUESTED = "reschedule_requested"
    DECLINED = "declined"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    PROMOTED = "promoted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class SalonRole(StrEnum):
    """Roles of the `salon_roles` custom claim and of approver contacts."""

    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"


class ApproverChannel(StrEnum):
    """How an approver is notified of a pending approval."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"


class Weekday(StrEnum):
    """Keys of weekly schedules; `Weekday.of(d)` maps a date to its key."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @staticmethod
    def of(day: date) -> Weekday:
        """The weekday of a `date` or `datetime` (use the salon-local date)."""
        return _WEEKDAYS[day.weekday()]


_WEEKDAYS = tuple(Weekday)


class MessageIntent(StrEnum):
    """Why a message is sent; salons map each intent to an approved WhatsApp template (Content SID)."""

    GAP_FILL_OFFER = "gap_fill_offer"
    WAITLIST_OFFER = "waitlist_offer"
    SLOT_TAKEN = "slot_taken"
    BOOKING_CONFIRMED = "booking_confirmed"
    APPOINTMENT_REMINDER = "appointment_reminder"
    CONFIRMATION_REQUEST = "confirmation_request"
    WIN_BACK = "win_back"
    UPSELL_OFFER = "upsell_offer"
    DISCOUNT_OFFER = "discount_offer"
    APPROVAL_REQUEST = "approval_request"

    @property
    def category(self) -> MessageCategory:
        return MessageCategory.MARKETING if self in _MARKETING_INTENTS else MessageCategory.SERVICE


_MARKETING_INTENTS = frozenset(
    {MessageIntent.WIN_BACK, MessageIntent.UPSELL_OFFER, MessageIntent.DISCOUNT_OFFER}
)
