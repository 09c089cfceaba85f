"""Applying provider status callbacks and reconciliation to ``salons/{salon_id}/outreach``.

Each callback is one transaction: read the outreach, merge the status monotonically
(``outreach_lifecycle.apply_status``), write only if something changed. Duplicates and
stale callbacks therefore cost 1 read and 0 writes; a forward move costs 1 read + 1 write.
Looking an outreach up by Twilio SID is one equality query on ``delivery.message_id``
(single-field index, automatic) -- 1 read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.governance.outreach_lifecycle import (
    OutreachStatus,
    OutreachView,
    StatusUpdate,
    apply_status,
    apply_twilio_callback,
    delivery_news,
    reconcile_result,
)
from salonflow.observability import signals

OUTREACH = "outreach"


def outreach_view(data: Mapping[str, Any]) -> OutreachView:
    raw_delivery = data.get("delivery")
    delivery: Mapping[str, Any] = raw_delivery if isinstance(raw_delivery, Mapping) else {}

    def ts(value: object) -> datetime | None:
        return value if isinstance(value, datetime) else None

    return OutreachView(
        status=OutreachStatus(str(data.get("status", "pending"))),
        sent_at=ts(delivery.get("sent_at")),
        delivered_at=ts(delivery.get("delivered_at")),
        read_at=ts(delivery.get("read_at")),
        message_id=delivery.get("message_id"),
        attempts=int(data.get("attempts") or 0),
        last_attempt_at=ts(data.get("last_attempt_at")),
    )


class OutreachStatusStore:
    def __init__(self, client: firestore.Client, salon_id: str) -> None:
        self._client = client
        self.salon_id = salon_id
        self._collection = client.collection("salons", salon_id, OUTREACH)

    def apply_callback(
        self, outreach_id: str, twilio_status: str, at: datetime, error_code: str | int | None = None
    ) -> StatusUpdate:
        """Merge one Twilio status callback; a no-op if it is stale or a duplicate."""
        return self._apply(
            outreach_id, lambda view: apply_twilio_callback(view, twilio_status, at, error_code),
            at, twilio_status.strip().lower(),
        )

    def apply_reconciliation(
        self, outreach_id: str, provider_status: str | None, provider_sid: str | None, now: datetime
    ) -> StatusUpdate:
        return self._apply(
            outreach_id, lambda view: reconcile_result(view, provider_status, provider_sid, now),
            now, (provider_status or "send_outcome_unknown").strip().lower(),
        )

    def record_send(self, outreach_id: str, message_sid: str | None, provider_status: str | None,
                    at: datetime) -> StatusUpdate:
        """The provider accepted the message: store its SID and move pending -> sent. Merged like a callback,
        because the provider's first callbacks can land before this write: a blind ``status: sent`` would
        undo a delivery or failure they already recorded."""
        def merge(view: OutreachView) -> StatusUpdate:
            update = apply_status(view, OutreachStatus.SENT, at)
            changes = {**update.changes, "delivery.message_id": message_sid, "updated_at": at}
            if "status" in update.changes:
                changes["delivery.provider_status"] = provider_status
            return StatusUpdate(update.status, changes)

        return self._apply(outreach_id, merge, at, "sent")

    def _apply(self, outreach_id: str, merge: Any, at: datetime, reported: str) -> StatusUpdate:
        ref = self._collection.document(outreach_id)
        news: list[tuple[bool | None, str]] = []

        def change(transaction: Any) -> StatusUpdate:
            snap = ref.get(transaction=transaction)
            if not snap.exists:
                raise LookupError(f"outreach {outreach_id} not found")
            data = snap.to_dict() or {}
            view = outreach_view(data)
            update: StatusUpdate = merge(view)
            if update.changes:
                transaction.update(ref, update.changes)
            news[:] = [(delivery_news(view, update), str(data.get("agent_name") or ""))]
            return update

        update = run_transaction(self._client, change)
        delivered, agent_name = news[0]
        if delivered is not None:  # only the report that changed what we know is logged
            signals.outreach_delivery(now=at, salon_id=self.salon_id, agent_name=agent_name,
                                      outreach_id=outreach_id, delivered=delivered, result=reported,
                                      error=None if delivered else str(update.changes.get("delivery.error")))
        return update
