"""Append-only writer for ``salons/{salon_id}/audit_logs``.

Entries are written with ``create()`` -- never ``set()`` -- so an existing entry can not be
overwritten by a retry or a bug; this writer has no update or delete. Pass a transaction
(or a batch) to make the entry part of the change it describes: the entry then exists if
and only if the change committed.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from salonflow.governance.audit import AuditEntry

AUDIT_COLLECTION = "audit_logs"


class AuditLogWriter:
    def __init__(self, client: firestore.Client, salon_id: str) -> None:
        self._client = client
        self._salon_id = salon_id
        self._collection = client.collection("salons", salon_id, AUDIT_COLLECTION)

    def _checked(self, entry: AuditEntry) -> AuditEntry:
        if entry.salon_id != self._salon_id:
            raise ValueError(f"entry for salon {entry.salon_id!r} given to the writer of {self._salon_id!r}")
        return entry

    def append(self, entry: AuditEntry, *, transaction: Any | None = None) -> str:
        """Write one entry (1 write); inside ``transaction`` or ``WriteBatch`` if given."""
        entry = self._checked(entry)
        ref = self._collection.document(entry.id)
        if transaction is not None:
            transaction.create(ref, entry.to_firestore())
        else:
            ref.create(entry.to_firestore())
        return entry.id

