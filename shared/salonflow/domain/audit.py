"""`salons/{salon_id}/audit_logs/{log_id}` — append-only record of what happened and who did it (server only)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from salonflow.domain.base import DocId, FirestoreDocument, Timestamp
from salonflow.domain.enums import AuditEventType, Severity


class AuditLog(FirestoreDocument):
    salon_id: DocId
    event_type: AuditEventType
    severity: Severity = Severity.INFO
    actor: str = Field(min_length=1)  # agent name or user id
    action: str = Field(min_length=1)
    resource_type: str = Field(min_length=1)
    resource_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    ip_address: str | None = None
    user_agent: str | None = None
    created_at: Timestamp
