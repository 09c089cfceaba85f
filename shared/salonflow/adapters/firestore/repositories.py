"""Salon-scoped repositories over the google-cloud-firestore client.

Every repository is built from `(client, salon_id)` and derives every document path from that salon id:
`salons/{salon_id}/{collection}/{doc_id}`. Document ids are validated (no '/'), and documents written or read
must carry the same `salon_id`, so no method can reach another salon's data.

Reads accept an optional `transaction`; writes accept an optional `transaction` or `batch` (anything with
`create/set/update/delete`), so governance can combine them atomically. Without one, a write commits at once.
Every composite query here has its entry in `firestore.indexes.json`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Literal, TypeVar

from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.batch import WriteBatch
from google.cloud.firestore_v1.client import Client
from google.cloud.firestore_v1.collection import CollectionReference
from google.cloud.firestore_v1.document import DocumentReference
from google.cloud.firestore_v1.query import Query
from google.cloud.firestore_v1.transaction import Transaction
from pydantic import TypeAdapter, ValidationError

from salonflow.domain.agent_state import AgentState
from salonflow.domain.approvals import Approval
from salonflow.domain.audit import AuditLog
from salonflow.domain.autonomy_standing import AutonomyStanding
from salonflow.domain.base import DocId, FirestoreDocument, to_firestore_value
from salonflow.domain.bookings import Booking
from salonflow.domain.customer_scores import CustomerScore
from salonflow.domain.customers import Customer
from salonflow.domain.decisions import AutonomousDecision
from salonflow.domain.enums import (
    ACTIVE_BOOKING_STATUSES,
    ApprovalStatus,
    AuditEventType,
    BookingStatus,
    CustomerSegment,
    DecisionType,
    GapPriority,
    GapStatus,
    OutcomeStatus,
    OutreachStatus,
    WaitlistStatus,
)
from salonflow.domain.gaps import Gap
from salonflow.domain.outreach import Outreach
from salonflow.domain.salon import Salon
from salonflow.domain.services import Service
from salonflow.domain.staff import Staff
from salonflow.domain.waitlist import WaitlistEntry

__all__ = [
    "AgentStateRepository",
    "ApprovalRepository",
    "AuditLogRepository",
    "BookingRepository",
    "CrossSalonError",
    "CustomerRepository",
    "CustomerScoreRepository",
    "DecisionRepository",
    "GapRepository",
    "OutreachRepository",
    "SalonRepositories",
    "SalonRepository",
    "ServiceRepository",
    "StaffRepository",
    "WaitlistRepository",
    "Writer",
    "salon_document",
]

SALONS = "salons"
ASCENDING: Literal["ASCENDING"] = "ASCENDING"
DESCENDING: Literal["DESCENDING"] = "DESCENDING"
# Services are at most 12 hours long (domain.services.Service.duration_minutes), so no booking runs longer.
MAX_SERVICE_DURATION = timedelta(hours=12)
# Firestore's `in` accepts at most 30 values; get_all batches are kept to a comfortable size.
_GET_ALL_CHUNK = 300

Writer = Transaction | WriteBatch
"""Something that stages writes: a transaction (inside `@transactional`) or a batch."""

M = TypeVar("M", bound=FirestoreDocument)

_doc_id_adapter: TypeAdapter[str] = TypeAdapter(DocId)


class CrossSalonError(ValueError):
    """A model or document belongs to a different salon than the repository's."""


def _checked_id(doc_id: str) -> str:
    try:
        return _doc_id_adapter.validate_python(doc_id)
    except ValidationError as error:
        raise ValueError(f"invalid document id {doc_id!r}") from error


def salon_document(client: Client, salon_id: str) -> DocumentReference:
    """`salons/{salon_id}` — the root every repository of that salon hangs from."""
    return client.collection(SALONS).document(_checked_id(salon_id))


class _SalonScoped:
    def __init__(self, client: Client, salon_id: str) -> None:
        self._client = client
        self.salon_id = _checked_id(salon_id)
        self._salon_ref = salon_document(client, self.salon_id)

    @property
    def client(self) -> Client:
        return self._client


class _Repository(_SalonScoped, Generic[M]):
    """Shared get/create/save/update/delete and query plumbing for one collection of one salon."""

    collection_name: ClassVar[str]
    model: type[M]

    @property
    def collection(self) -> CollectionReference:
        return self._salon_ref.collection(self.collection_name)

    def ref(self, doc_id: str) -> DocumentReference:
        return self.collection.document(_checked_id(doc_id))

    # ---- reads ----

    def get(self, doc_id: str, transaction: Transaction | None = None) -> M | None:
        snapshot = self.ref(doc_id).get(transaction=transaction)
        if not snapshot.exists:
            return None
        return self._to_model(snapshot.id, snapshot.to_dict() or {})

    def get_many(self, doc_ids: Iterable[str], transaction: Transaction | None = None) -> dict[str, M]:
        """Batch read (BatchGetDocuments): found documents keyed by document id; missing ones are absent."""
        unique = list(dict.fromkeys(doc_ids))
        found: dict[str, M] = {}
        for start in range(0, len(unique), _GET_ALL_CHUNK):
            refs = [self.ref(doc_id) for doc_id in unique[start : start + _GET_ALL_CHUNK]]
            for snapshot in self._client.get_all(refs, transaction=transaction):
                if snapshot.exists:
                    found[snapshot.id] = self._to_model(snapshot.id, snapshot.to_dict() or {})
        return found

    def list_all(self, limit: int | None = None, transaction: Transaction | None = None) -> list[M]:
        query: Any = self.collection.order_by("__name__")
        if limit is not None:
            query = query.limit(limit)
        return self._run(query, transaction)

    def query(
        self,
        filters: Sequence[tuple[str, str, Any]] = (),
        order_by: Sequence[tuple[str, Literal["ASCENDING", "DESCENDING"]]] = (),
        limit: int | None = None,
        start_after: Mapping[str, Any] | None = None,
        transaction: Transaction | None = None,
    ) -> list[M]:
        """A filtered, ordered page of this salon's collection.

        `filters` are `(field_path, op, value)` with Firestore's operators; values are converted like documents
        (enums to strings, dates to ISO strings). `start_after` holds the values of the `order_by` fields of
        the last document of the previous page (plus `__name__` = its id when ordering by it), for cursors.
        Queries not listed in firestore.indexes.json may need a new composite index in production.
        """
        built: Any = self.collection
        for field_path, op, value in filters:
            built = built.where(filter=FieldFilter(field_path, op, to_firestore_value(value)))
        for field_path, direction in order_by:
            built = built.order_by(field_path, direction=direction)
        if start_after is not None:
            cursor = dict(to_firestore_value(dict(start_after)))
            if "__name__" in cursor:
                cursor["__name__"] = self.ref(str(cursor["__name__"]))
            built = built.start_after(cursor)
        if limit is not None:
            built = built.limit(limit)
        return self._run(built, transaction)

    def count(
        self, filters: Sequence[tuple[str, str, Any]] = (), transaction: Transaction | None = None,
        order_by: Sequence[tuple[str, Literal["ASCENDING", "DESCENDING"]]] = (),
    ) -> int:
        """How many documents match (an aggregation query: billed per 1,000 index entries, not per document).
        `order_by` changes no count; it lets the query use the same index as the matching list."""
        built: Any = self.collection
        for field_path, op, value in filters:
            built = built.where(filter=FieldFilter(field_path, op, to_firestore_value(value)))
        for field_path, direction in order_by:
            built = built.order_by(field_path, direction=direction)
        results = built.count(alias="total").get(transaction=transaction)
        return int(results[0][0].value)

    # ---- writes ----

    def create(self, model: M, writer: Writer | None = None) -> None:
        """Write a new document; fails with `google.api_core.exceptions.AlreadyExists` if it exists
        (inside a transaction or batch, the failure surfaces at commit)."""
        ref, data = self._prepare(model)
        if writer is None:
            ref.create(data)
        else:
            writer.create(ref, data)

    def save(self, model: M, writer: Writer | None = None) -> None:
        """Write the whole document, replacing what was there."""
        ref, data = self._prepare(model)
        if writer is None:
            ref.set(data)
        else:
            writer.set(ref, data)

    def update(
        self,
        doc_id: str,
        changes: Mapping[str, Any],
        writer: Writer | None = None,
        last_update_time: datetime | None = None,
    ) -> None:
        """Change some fields of an existing document (fails with NotFound if it does not exist).

        Keys are field paths ("status", "outcome.status"); the first segment must be a field of the model,
        and `id`/`salon_id` cannot change. Values may be Firestore sentinels (SERVER_TIMESTAMP, Increment...).
        `last_update_time` makes the write conditional on the document not having changed since.
        """
        ref = self.ref(doc_id)
        data = self._checked_changes(changes)
        option = self._client.write_option(last_update_time=last_update_time) if last_update_time else None
        if writer is None:
            ref.update(data, option=option)
        elif option is None:
            writer.update(ref, data)
        else:
            writer.update(ref, data, option=option)

    def delete(self, doc_id: str, writer: Writer | None = None) -> None:
        ref = self.ref(doc_id)
        if writer is None:
            ref.delete()
        else:
            writer.delete(ref)

    # ---- plumbing ----

    def _run(self, query: Query, transaction: Transaction | None) -> list[M]:
        return [
            self._to_model(snapshot.id, snapshot.to_dict() or {})
            for snapshot in query.get(transaction=transaction)
        ]

    def _to_model(self, doc_id: str, data: Mapping[str, Any]) -> M:
        model = self.model.from_firestore(doc_id, data)
        self._check_salon(model)
        return model

    def _prepare(self, model: M) -> tuple[DocumentReference, dict[str, Any]]:
        if not isinstance(model, self.model):
            raise TypeError(f"{type(self).__name__} stores {self.model.__name__}, not {type(model).__name__}")
        self._check_salon(model)
        return self.ref(model.document_id), model.to_firestore()

    def _check_salon(self, model: M) -> None:
        owner = getattr(model, "salon_id", None)
        if owner != self.salon_id:
            raise CrossSalonError(
                f"{self.model.__name__} {model.document_id!r} belongs to salon {owner!r}, not {self.salon_id!r}"
            )

    def _checked_changes(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        if not changes:
            raise ValueError("update needs at least one field")
        known = set(self.model.model_fields)
        for path in changes:
            head = path.split(".", 1)[0]
            if head not in known:
                raise ValueError(f"{self.model.__name__} has no field {head!r}")
            if head in ("id", "salon_id"):
                raise ValueError(f"{head} cannot be changed")
        return {path: to_firestore_value(value) for path, value in changes.items()}


class SalonRepository(_SalonScoped):
    """The salon document itself (`salons/{salon_id}`)."""

    @property
    def ref(self) -> DocumentReference:
        return self._salon_ref

    def get(self, transaction: Transaction | None = None) -> Salon | None:
        snapshot = self._salon_ref.get(transaction=transaction)
        if not snapshot.exists:
            return None
        return Salon.from_firestore(snapshot.id, snapshot.to_dict() or {})

    def save(self, salon: Salon, writer: Writer | None = None) -> None:
        if salon.id != self.salon_id:
            raise CrossSalonError(f"salon {salon.id!r} is not {self.salon_id!r}")
        if writer is None:
            self._salon_ref.set(salon.to_firestore())
        else:
            writer.set(self._salon_ref, salon.to_firestore())

    def update(self, changes: Mapping[str, Any], writer: Writer | None = None) -> None:
        known = set(Salon.model_fields)
        for path in changes:
            head = path.split(".", 1)[0]
            if head not in known or head == "id":
                raise ValueError(f"cannot update salon field {head!r}")
        data = {path: to_firestore_value(value) for path, value in changes.items()}
        if writer is None:
            self._salon_ref.update(data)
        else:
            writer.update(self._salon_ref, data)


class StaffRepository(_Repository[Staff]):
    collection_name = "staff"
    model = Staff

    def active(self, transaction: Transaction | None = None) -> list[Staff]:
        return self.query([("active", "==", True)], transaction=transaction)


class ServiceRepository(_Repository[Service]):
    collection_name = "services"
    model = Service

    def active(self, transaction: Transaction | None = None) -> list[Service]:
        return self.query([("active", "==", True)], transaction=transaction)


class CustomerRepository(_Repository[Customer]):
    collection_name = "customers"
    model = Customer

    def by_phone(self, phone: str, transaction: Transaction | None = None) -> Customer | None:
        """The customer with this E.164 number (incoming WhatsApp/SMS are matched this way)."""
        found = self.query([("phone", "==", phone)], limit=1, transaction=transaction)
        return found[0] if found else None


class BookingRepository(_Repository[Booking]):
    collection_name = "bookings"
    model = Booking

    def in_range(
        self,
        start: datetime,
        end: datetime,
        staff_id: str | None = None,
        statuses: Sequence[BookingStatus] | None = None,
        transaction: Transaction | None = None,
    ) -> list[Booking]:
        """Bookings starting in [start, end), ordered by start time; optionally one staff member's, and only
        some statuses. A booking that starts before `start` but runs into the range is not included: callers
        that need overlaps widen `start` by the longest service duration."""
        filters: list[tuple[str, str, Any]] = []
        if staff_id is not None:
            filters.append(("staff_id", "==", staff_id))
        if statuses is not None:
            filters.append(("status", "in", list(statuses)))
        filters += [("start_time", ">=", start), ("start_time", "<", end)]
        return self.query(filters, order_by=[("start_time", ASCENDING)], transaction=transaction)

    def overlapping(
        self,
        start: datetime,
        end: datetime,
        staff_id: str | None = None,
        statuses: Sequence[BookingStatus] | None = ACTIVE_BOOKING_STATUSES,
        longest_booking: timedelta = MAX_SERVICE_DURATION,
        transaction: Transaction | None = None,
    ) -> list[Booking]:
        """Bookings that overlap [start, end): by default the booked/confirmed ones holding the time.

        Firestore allows range filters on start_time only, so this reads bookings starting up to
        `longest_booking` before `start` and keeps those still running at `start`. For the double-booking check,
        call it inside the transaction that writes the booking and make concurrent bookings of the slot also
        write one common document (e.g. the gap being filled): a query cannot lock a booking not yet created.
        """
        candidates = self.in_range(
            start - longest_booking, end, staff_id=staff_id, statuses=statuses, transaction=transaction
        )
        return [booking for booking in candidates if booking.overlaps(start, end)]

    def upcoming(
        self,
        now: datetime,
        until: datetime,
        staff_id: str | None = None,
        transaction: Transaction | None = None,
    ) -> list[Booking]:
        """Booked or confirmed bookings starting in [now, until)."""
        return self.in_range(now, until, staff_id=staff_id, statuses=ACTIVE_BOOKING_STATUSES, transaction=transaction)

    def for_customer(
        self,
        customer_id: str,
        since: datetime | None = None,
        limit: int | None = None,
        transaction: Transaction | None = None,
    ) -> list[Booking]:
        """A customer's bookings, most recent start first."""
        filters: list[tuple[str, str, Any]] = [("customer_id", "==", customer_id)]
        if since is not None:
            filters.append(("start_time", ">=", since))
        return self.query(filters, order_by=[("start_time", DESCENDING)], limit=limit, transaction=transaction)


class WaitlistRepository(_Repository[WaitlistEntry]):
    collection_name = "waitlist"
    model = WaitlistEntry

    def waiting(
        self, service_id: str | None = None, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[WaitlistEntry]:
        """Waiting entries in promotion order: priority (high first), then first come."""
        filters: list[tuple[str, str, Any]] = []
        if service_id is not None:
            filters.append(("service_id", "==", service_id))
        filters.append(("status", "==", WaitlistStatus.WAITING))
        return self.query(
            filters,
            order_by=[("priority", DESCENDING), ("created_at", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )

    def past_expiry(
        self, now: datetime, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[WaitlistEntry]:
        """Waiting or offered entries whose `expires_at` has passed (for cleanup)."""
        return self.query(
            [("status", "in", [WaitlistStatus.WAITING, WaitlistStatus.OFFERED]), ("expires_at", "<=", now)],
            order_by=[("expires_at", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )


class GapRepository(_Repository[Gap]):
    collection_name = "gaps"
    model = Gap

    def open(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        staff_id: str | None = None,
        limit: int | None = None,
        transaction: Transaction | None = None,
    ) -> list[Gap]:
        """Open gaps ordered by start time, optionally starting in [start, end) and for one staff member."""
        filters: list[tuple[str, str, Any]] = []
        if staff_id is not None:
            filters.append(("staff_id", "==", staff_id))
        filters.append(("status", "==", GapStatus.OPEN))
        if start is not None:
            filters.append(("start_time", ">=", start))
        if end is not None:
            filters.append(("start_time", "<", end))
        return self.query(filters, order_by=[("start_time", ASCENDING)], limit=limit, transaction=transaction)

    def high_priority_open(
        self, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[Gap]:
        """Open gaps of high or critical priority, soonest first."""
        return self.query(
            [("status", "==", GapStatus.OPEN), ("priority", "in", [GapPriority.HIGH, GapPriority.CRITICAL])],
            order_by=[("start_time", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )

    def open_ended_before(
        self, now: datetime, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[Gap]:
        """Open gaps that are already over (for expiry)."""
        return self.query(
            [("status", "==", GapStatus.OPEN), ("end_time", "<=", now)],
            order_by=[("end_time", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )


class ApprovalRepository(_Repository[Approval]):
    collection_name = "approvals"
    model = Approval

    def pending(self, limit: int | None = None, transaction: Transaction | None = None) -> list[Approval]:
        """Pending approvals, newest first."""
        return self.query(
            [("status", "==", ApprovalStatus.PENDING)],
            order_by=[("created_at", DESCENDING)],
            limit=limit,
            transaction=transaction,
        )

    def pending_past_expiry(
        self, now: datetime, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[Approval]:
        """Pending approvals whose `expires_at` has passed (for expiry)."""
        return self.query(
            [("status", "==", ApprovalStatus.PENDING), ("expires_at", "<=", now)],
            order_by=[("expires_at", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )

    def count_pending(self, transaction: Transaction | None = None) -> int:
        """The approval backlog (the spec alerts when more than 10 stay pending)."""
        return self.count([("status", "==", ApprovalStatus.PENDING)], transaction=transaction)

    def for_decision(self, decision_id: str, transaction: Transaction | None = None) -> list[Approval]:
        return self.query([("decision_id", "==", decision_id)], transaction=transaction)


class OutreachRepository(_Repository[Outreach]):
    collection_name = "outreach"
    model = Outreach

    def by_status(
        self,
        status: OutreachStatus,
        limit: int | None = None,
        transaction: Transaction | None = None,
    ) -> list[Outreach]:
        """Outreach in one status, newest first."""
        return self.query(
            [("status", "==", status)],
            order_by=[("created_at", DESCENDING)],
            limit=limit,
            transaction=transaction,
        )

    def for_customer_since(
        self, customer_id: str, since: datetime, transaction: Transaction | None = None
    ) -> list[Outreach]:
        """A customer's outreach created at or after `since`, oldest first."""
        return self.query(
            [("customer_id", "==", customer_id), ("created_at", ">=", since)],
            order_by=[("created_at", ASCENDING)],
            transaction=transaction,
        )

    def for_trigger(self, trigger_id: str, transaction: Transaction | None = None) -> list[Outreach]:
        """Every outreach about one trigger (e.g. all offers for one gap)."""
        return self.query([("trigger_id", "==", trigger_id)], transaction=transaction)

    def by_message_id(self, message_id: str, transaction: Transaction | None = None) -> Outreach | None:
        """The outreach a Twilio status callback (MessageSid) refers to."""
        found = self.query([("delivery.message_id", "==", message_id)], limit=1, transaction=transaction)
        return found[0] if found else None

    def past_expiry(
        self,
        now: datetime,
        statuses: Sequence[OutreachStatus] = (
            OutreachStatus.PENDING,
            OutreachStatus.SENT,
            OutreachStatus.DELIVERED,
            OutreachStatus.READ,
        ),
        limit: int | None = None,
        transaction: Transaction | None = None,
    ) -> list[Outreach]:
        """Outreach still awaiting a response whose `expires_at` has passed (for expiry)."""
        return self.query(
            [("status", "in", list(statuses)), ("expires_at", "<=", now)],
            order_by=[("expires_at", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )

    def stuck_sending(
        self, started_before: datetime, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[Outreach]:
        """Pending outreach whose send began before `started_before` and never recorded a result."""
        return self.query(
            [("status", "==", OutreachStatus.PENDING), ("delivery.send_started_at", "<=", started_before)],
            order_by=[("delivery.send_started_at", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )

    def deferred_due(
        self, now: datetime, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[Outreach]:
        """Pending outreach deferred by quiet hours whose `scheduled_for` has come."""
        return self.query(
            [("status", "==", OutreachStatus.PENDING), ("scheduled_for", "<=", now)],
            order_by=[("scheduled_for", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )


class DecisionRepository(_Repository[AutonomousDecision]):
    collection_name = "autonomous_decisions"
    model = AutonomousDecision

    def created_between(
        self,
        start: datetime,
        end: datetime,
        decision_type: DecisionType | None = None,
        agent_name: str | None = None,
        limit: int | None = None,
        transaction: Transaction | None = None,
    ) -> list[AutonomousDecision]:
        """Decisions created in [start, end), newest first, optionally of one type or one agent."""
        filters: list[tuple[str, str, Any]] = []
        if decision_type is not None:
            filters.append(("decision_type", "==", decision_type))
        if agent_name is not None:
            filters.append(("agent_name", "==", agent_name))
        filters += [("created_at", ">=", start), ("created_at", "<", end)]
        return self.query(filters, order_by=[("created_at", DESCENDING)], limit=limit, transaction=transaction)

    def pending_past_expiry(
        self, now: datetime, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[AutonomousDecision]:
        """Decisions whose outcome is still pending after `expires_at` (for expiry)."""
        return self.query(
            [("outcome.status", "==", OutcomeStatus.PENDING), ("expires_at", "<=", now)],
            order_by=[("expires_at", ASCENDING)],
            limit=limit,
            transaction=transaction,
        )


class AgentStateRepository(_Repository[AgentState]):
    """Agent states are keyed by agent name (`agent_states/{agent_name}`)."""

    collection_name = "agent_states"
    model = AgentState

    def upsert(self, state: AgentState, writer: Writer | None = None) -> None:
        self.save(state, writer)


class AutonomyStandingRepository(_Repository[AutonomyStanding]):
    """Graduated-autonomy standings, keyed by decision type (`autonomy_standings/{decision_type}`)."""

    collection_name = "autonomy_standings"
    model = AutonomyStanding


class CustomerScoreRepository(_Repository[CustomerScore]):
    """Scores are keyed by customer id (`customer_scores/{customer_id}`)."""

    collection_name = "customer_scores"
    model = CustomerScore

    def upsert(self, score: CustomerScore, writer: Writer | None = None) -> None:
        self.save(score, writer)

    def upsert_many(self, scores: Iterable[CustomerScore]) -> int:
        """Write many scores in batches (not atomic as a whole); returns how many were written."""
        written = 0
        batch = self._client.batch()
        pending = 0
        for score in scores:
            self.save(score, batch)
            pending += 1
            if pending == 400:
                batch.commit()
                written += pending
                batch, pending = self._client.batch(), 0
        if pending:
            batch.commit()
            written += pending
        return written

    def by_segment(
        self, segment: CustomerSegment, limit: int | None = None, transaction: Transaction | None = None
    ) -> list[CustomerScore]:
        """Customers of one segment, highest churn risk first."""
        return self.query(
            [("segment", "==", segment)],
            order_by=[("churn_risk.score", DESCENDING)],
            limit=limit,
            transaction=transaction,
        )


class AuditLogRepository(_Repository[AuditLog]):
    """Append-only: entries are created, never updated or deleted through this repository."""

    collection_name = "audit_logs"
    model = AuditLog

    def append(self, entry: AuditLog, writer: Writer | None = None) -> None:
        self.create(entry, writer)

    def save(self, model: AuditLog, writer: Writer | None = None) -> None:
        raise TypeError("audit logs are append-only: use append()")

    def update(
        self,
        doc_id: str,
        changes: Mapping[str, Any],
        writer: Writer | None = None,
        last_update_time: datetime | None = None,
    ) -> None:
        raise TypeError("audit logs are append-only")

    def delete(self, doc_id: str, writer: Writer | None = None) -> None:
        raise TypeError("audit logs are append-only")

    def recent(
        self,
        limit: int = 100,
        event_type: AuditEventType | None = None,
        transaction: Transaction | None = None,
    ) -> list[AuditLog]:
        """Newest entries first, optionally of one event type."""
        filters: list[tuple[str, str, Any]] = []
        if event_type is not None:
            filters.append(("event_type", "==", event_type))
        return self.query(filters, order_by=[("created_at", DESCENDING)], limit=limit, transaction=transaction)

    def for_resource(
        self, resource_type: str, resource_id: str, transaction: Transaction | None = None
    ) -> list[AuditLog]:
        """The history of one resource (e.g. a decision), newest first."""
        return self.query(
            [("resource_type", "==", resource_type), ("resource_id", "==", resource_id)],
            order_by=[("created_at", DESCENDING)],
            transaction=transaction,
        )


class SalonRepositories:
    """Every repository of one salon, built from one client and one salon id."""

    def __init__(self, client: Client, salon_id: str) -> None:
        self.client = client
        self.salon_id = _checked_id(salon_id)
        self.salon = SalonRepository(client, salon_id)
        self.staff = StaffRepository(client, salon_id)
        self.services = ServiceRepository(client, salon_id)
        self.customers = CustomerRepository(client, salon_id)
        self.bookings = BookingRepository(client, salon_id)
        self.waitlist = WaitlistRepository(client, salon_id)
        self.gaps = GapRepository(client, salon_id)
        self.approvals = ApprovalRepository(client, salon_id)
        self.outreach = OutreachRepository(client, salon_id)
        self.decisions = DecisionRepository(client, salon_id)
        self.agent_states = AgentStateRepository(client, salon_id)
        self.autonomy_standings = AutonomyStandingRepository(client, salon_id)
        self.customer_scores = CustomerScoreRepository(client, salon_id)
        self.audit_logs = AuditLogRepository(client, salon_id)

    def transaction(self) -> Transaction:
        """A new transaction on this salon's client (use with `google.cloud.firestore.transactional`)."""
        return self.client.transaction()

    def batch(self) -> WriteBatch:
        return self.client.batch()
