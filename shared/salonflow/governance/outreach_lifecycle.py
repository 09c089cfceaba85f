"""Outreach lifecycle: pending -> sent -> delivered -> read -> responded, or failed / expired.

Provider status callbacks arrive late, twice, and out of order, so statuses only move
*forward*: each status has a rank and an update that does not raise the rank is a no-op
(a late ``sent`` never overwrites ``delivered``; a duplicate ``delivered`` writes nothing).
A late callback may still fill in a timestamp that is missing (``sent_at`` learned after
``delivered``) without moving the status. ``responded``, ``failed`` and ``expired`` are final.
``failed`` beats only pending/sent: once the phone has the message, a stray failure
report cannot un-deliver it.

Twilio statuses -> outreach status:
  accepted, scheduled, queued, sending -> pending (the send is in flight)
  sent -> sent; delivered -> delivered; read -> read
  undelivered, failed, canceled -> failed
  receiving, received -> ignored (those describe inbound messages, not ours)

Outbox rule: an outreach is written (pending, deterministic id) in the transaction that
reserves its rate-limit budget, then sent outside it. One that stays pending after a send
attempt (``attempts`` > 0, no ``delivery.message_id``) has an unknown outcome: it is
*reconciled* -- looked up at the provider by SID, or by recipient and time when the SID
was never stored -- and otherwise marked failed with ``send_outcome_unknown``.
It is never resent blindly, because the first send may have gone out.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from salonflow.domain.enums import OutreachStatus
from salonflow.governance.clock import require_aware

RANK: dict[OutreachStatus, int] = {
    OutreachStatus.PENDING: 0,
    OutreachStatus.SENT: 1,
    OutreachStatus.DELIVERED: 2,
    OutreachStatus.READ: 3,
    OutreachStatus.RESPONDED: 4,
}
TERMINAL = frozenset({OutreachStatus.RESPONDED, OutreachStatus.FAILED, OutreachStatus.EXPIRED})
TIMESTAMP_FIELD: dict[OutreachStatus, str] = {
    OutreachStatus.SENT: "delivery.sent_at",
    OutreachStatus.DELIVERED: "delivery.delivered_at",
    OutreachStatus.READ: "delivery.read_at",
}

TWILIO_STATUS: dict[str, OutreachStatus | None] = {
    "accepted": OutreachStatus.PENDING,
    "scheduled": OutreachStatus.PENDING,
    "queued": OutreachStatus.PENDING,
    "sending": OutreachStatus.PENDING,
    "sent": OutreachStatus.SENT,
    "delivered": OutreachStatus.DELIVERED,
    "read": OutreachStatus.READ,
    "undelivered": OutreachStatus.FAILED,
    "failed": OutreachStatus.FAILED,
    "canceled": OutreachStatus.FAILED,
    "receiving": None,
    "received": None,
}


def map_twilio_status(status: str) -> OutreachStatus | None:
    """The outreach status for a Twilio ``MessageStatus``; None = not about our outbound message."""
    key = status.strip().lower()
    if key not in TWILIO_STATUS:
        raise ValueError(f"unknown Twilio message status {status!r}")
    return TWILIO_STATUS[key]


@dataclass(frozen=True)
class OutreachView:
    """The fields of an outreach document the lifecycle needs."""

    status: OutreachStatus
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    message_id: str | None = None
    attempts: int = 0
    last_attempt_at: datetime | None = None


@dataclass(frozen=True)
class StatusUpdate:
    status: OutreachStatus
    changes: dict[str, object]  # dotted field paths -> values; empty means "write nothing"


def _timestamp(view: OutreachView, status: OutreachStatus) -> datetime | None:
    return {
        OutreachStatus.SENT: view.sent_at,
        OutreachStatus.DELIVERED: view.delivered_at,
        OutreachStatus.READ: view.read_at,
    }.get(status)


def apply_status(view: OutreachView, incoming: OutreachStatus, at: datetime,
                 error: str | None = None) -> StatusUpdate:
    """Merge one status report into the outreach, monotonically."""
    require_aware(at)
    changes: dict[str, object] = {}
    current = view.status

    # Fill in a missing milestone timestamp, even when the status itself does not move:
    # e.g. ``sent`` arriving after ``delivered`` still tells us when it was sent.
    if (incoming in TIMESTAMP_FIELD and _timestamp(view, incoming) is None
            and current not in (OutreachStatus.FAILED,)):
        changes[TIMESTAMP_FIELD[incoming]] = at

    if current in TERMINAL:
        moved = False
    elif incoming is OutreachStatus.FAILED:
        moved = current in (OutreachStatus.PENDING, OutreachStatus.SENT)
    elif incoming is OutreachStatus.EXPIRED:
        moved = True
    else:
        moved = RANK[incoming] > RANK[current]

    if moved:
        changes["status"] = incoming.value
        if incoming is OutreachStatus.FAILED:
            changes["delivery.error"] = error or "failed"
    if changes:
        changes["updated_at"] = at
    return StatusUpdate(incoming if moved else current, changes)


def apply_twilio_callback(view: OutreachView, twilio_status: str, at: datetime,
                          error_code: str | int | None = None) -> StatusUpdate:
    mapped = map_twilio_status(twilio_status)
    if mapped is None:
        return StatusUpdate(view.status, {})
    error = f"twilio_{twilio_status.lower()}" + (f":{error_code}" if error_code not in (None, "") else "")
    return apply_status(view, mapped, at, error if mapped is OutreachStatus.FAILED else None)


def delivery_news(view: OutreachView, update: StatusUpdate) -> bool | None:
    """What merging ``update`` newly tells about delivery: True the first time the message is known to have
    reached the phone (delivered or read, also when it arrives after the customer already answered), False
    when it just failed, None when nothing new (a duplicate, a stale report, delivered -> read)."""
    changes = update.changes
    if changes.get("status") == OutreachStatus.FAILED.value:
        return False
    reached = (OutreachStatus.DELIVERED.value, OutreachStatus.READ.value)
    before = view.delivered_at is not None or view.read_at is not None or view.status.value in reached
    now = ("delivery.delivered_at" in changes or "delivery.read_at" in changes
           or changes.get("status") in reached)
    return True if now and not before else None


# --------------------------------------------------------------------------- outbox reconciliation

STUCK_AFTER = timedelta(minutes=10)


class ReconcileAction(enum.StrEnum):
    WAIT = "wait"  # not stuck (yet)
    FETCH_BY_SID = "fetch_by_sid"  # ask the provider for this SID's status
    SEARCH_BY_RECIPIENT = "search_by_recipient"  # no SID stored: look for a message to this number
    NOTHING = "nothing"  # not a send in flight


def reconcile_plan(view: OutreachView, now: datetime, stuck_after: timedelta = STUCK_AFTER) -> ReconcileAction:
    require_aware(now)
    if view.status is not OutreachStatus.PENDING or view.attempts == 0 or view.last_attempt_at is None:
        return ReconcileAction.NOTHING
    if now - view.last_attempt_at < stuck_after:
        return ReconcileAction.WAIT
    return ReconcileAction.FETCH_BY_SID if view.message_id else ReconcileAction.SEARCH_BY_RECIPIENT


def reconcile_result(view: OutreachView, provider_status: str | None, provider_sid: str | None,
                     now: datetime) -> StatusUpdate:
    """Apply what the provider said about a stuck send; never returns "send again".

    ``provider_status`` None means the provider has no such message: since we cannot
    prove it was never sent, it is marked failed with ``send_outcome_unknown`` for a
    human (or a later, deliberately new outreach) to decide.
    """
    if provider_status is None:
        return apply_status(view, OutreachStatus.FAILED, now, "send_outcome_unknown")
    update = apply_twilio_callback(view, provider_status, now)
    if provider_sid and not view.message_id:
        changes = dict(update.changes)
        changes["delivery.message_id"] = provider_sid
        changes["updated_at"] = now
        return StatusUpdate(update.status, changes)
    return update


# --------------------------------------------------------------------------- deterministic ids


def outreach_id(salon_id: str, customer_id: str, intent: str, slot: str) -> str:
    """Deterministic outreach id: the same (salon, customer, intent, slot) is the same outreach.

    ``intent`` is the outreach type plus its trigger (e.g. "gap_fill:gap_abc"); ``slot`` the
    ISO start of the offered slot or the reminder's booking id. Hashing keeps ids random-
    looking (no hot-spotting) and keeps phone numbers and names out of document ids.
    """
    digest = hashlib.sha256("\x1f".join((salon_id, customer_id, intent, slot)).encode()).hexdigest()
    return "out_" + digest[:32]
