"""Consent changes on ``salons/{salon_id}/customers/{customer_id}.consent``, audited atomically.

Only the ``consent.<channel>.<category>`` cells are touched (field-path updates), so the rest
of the customer document -- owned by the customer repository -- is never rewritten. An
opt-out takes effect at commit: the gate reads consent inside its own transaction, so no
outreach can be reserved after the opt-out commits.

Cost: 1 read (customer) + 2 writes (customer, audit entry) per command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.governance_transactions import run_transaction
from salonflow.governance import audit
from salonflow.governance.consent import (
    ConsentChange,
    ConsentCommand,
    ConsentState,
    apply_consent_command,
    consent_from_firestore,
    entry_to_firestore,
    parse_consent_command,
    set_consent,
)
from salonflow.governance.types import Channel, ConsentChannel, ConsentSource, MessageCategory

CUSTOMERS = "customers"


class CustomerNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ConsentResult:
    keyword: str | None
    changes: list[ConsentChange]
    audit_log_id: str


class ConsentStore:
    def __init__(self, client: firestore.Client, salon_id: str) -> None:
        self._client = client
        self.salon_id = salon_id
        self._customers = client.collection("salons", salon_id, CUSTOMERS)
        self._audit = AuditLogWriter(client, salon_id)

    def state(self, customer_id: str) -> ConsentState:
        snap = self._customers.document(customer_id).get()
        return consent_from_firestore((snap.to_dict() or {}).get("consent") if snap.exists else None)

    def handle_inbound_text(
        self, customer_id: str, text: str, received_on: Channel | ConsentChannel, now: datetime
    ) -> ConsentResult | None:
        """If the whole inbound message is a consent keyword, apply it now; else None (a normal reply)."""
        command = parse_consent_command(text)
        if command is None:
            return None
        return self.apply(customer_id, command, received_on, now, actor=f"customer:{customer_id}")

    def apply(
        self,
        customer_id: str,
        command: ConsentCommand,
        received_on: Channel | ConsentChannel,
        now: datetime,
        actor: str,
    ) -> ConsentResult:
        return self._change(
            customer_id,
            now,
            actor,
            command.keyword,
            lambda state: apply_consent_command(state, command, received_on, now),
        )

    def set(
        self,
        customer_id: str,
        channel: ConsentChannel,
        category: MessageCategory,
        granted: bool,
        now: datetime,
        *,
        actor: str,
        source: ConsentSource = ConsentSource.OWNER_APP,
    ) -> ConsentResult:
        """An explicit change from the salon (form, PWA): same write and audit path as keywords."""

        def one(state: ConsentState) -> tuple[ConsentState, list[ConsentChange]]:
            new_state, change = set_consent(state, channel, category, granted, source, now)
            return new_state, [change]

        return self._change(customer_id, now, actor, None, one)

    def _change(
        self, customer_id: str, now: datetime, actor: str, keyword: str | None, compute: Any
    ) -> ConsentResult:
        ref = self._customers.document(customer_id)

        def change(transaction: Any) -> ConsentResult:
            snap = ref.get(transaction=transaction)
            if not snap.exists:
                raise CustomerNotFound(customer_id)
            state = consent_from_firestore((snap.to_dict() or {}).get("consent"))
            new_state, changes = compute(state)
            updates: dict[str, Any] = {"updated_at": now}
            for ch in changes:
                updates[f"consent.{ch.channel.value}.{ch.category.value}"] = entry_to_firestore(
                    new_state.entries[(ch.channel, ch.category)]
                )
            transaction.update(ref, updates)
            log_id = self._audit.append(
                audit.consent_changed(
                    self.salon_id,
                    customer_id,
                    actor,
                    keyword,
                    [_change_doc(c) for c in changes],
                    now,
                ),
                transaction=transaction,
            )
            return ConsentResult(keyword, changes, log_id)

        return run_transaction(self._client, change)


def _change_doc(change: ConsentChange) -> dict[str, Any]:
    return {
        "channel": change.channel.value,
        "category": change.category.value,
        "before": change.before,
        "after": change.after,
    }
