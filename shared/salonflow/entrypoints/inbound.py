"""Messages from people, and delivery failures reported later by Twilio.

An inbound WhatsApp/SMS message is, in this order: an approver answering an approval request
("APPROVE 4F2A9C" / "REJECT 4F2A9C", or the template's quick-reply buttons); a customer's consent
keyword (STOP, START… — governance decides and audits); or a customer's reply to our last live
message (offer or confirmation). Unknown senders are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from salonflow.adapters.firestore.governance_audit import AuditLogWriter
from salonflow.adapters.firestore.governance_consent import ConsentStore
from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.domain.enums import ConsentChannel
from salonflow.governance import audit
from salonflow.ports import OutcomeKind

_APPROVER_REPLY = re.compile(
    r"^\s*(?P<verb>approve|approved|yes|haan|ok|reject|rejected|no|nahi)\b[\s:#-]*(?P<code>[a-z0-9_]{4,40})?\s*$",
    re.IGNORECASE)
_APPROVING = {"approve", "approved", "yes", "haan", "ok"}
PENDING_SCAN_LIMIT = 50


def parse_approver_reply(text: str, button_payload: str | None) -> tuple[str, str | None] | None:
    """("approve" | "reject", approval code or id) if the message answers an approval request."""
    if button_payload and ":" in button_payload:
        verb, _, ref = button_payload.partition(":")
        if verb.lower() in ("approve", "reject"):
            return verb.lower(), ref.strip() or None
    matched = _APPROVER_REPLY.match(text or "")
    if matched is None:
        return None
    action = "approve" if matched["verb"].lower() in _APPROVING else "reject"
    return action, matched["code"]


def handle_inbound(client: Any, payload: Mapping[str, Any], now: datetime, ports: Any) -> dict[str, Any]:
    salon_id = str(payload["salon_id"])
    repos = SalonRepositories(client, salon_id)
    salon = repos.salon.get()
    if salon is None:
        return {"handled": "unknown_salon"}
    phone = str(payload.get("from_phone", ""))
    text = str(payload.get("body") or "")
    button = payload.get("button_payload")
    approver = next((a for a in salon.approvers if a.phone == phone), None)
    if approver is not None:
        return _approver_reply(client, salon_id, repos, approver, text, button, now, ports)
    customer = repos.customers.by_phone(phone)
    if customer is None:
        return {"handled": "unknown_sender"}
    channel = ConsentChannel.WHATSAPP if payload.get("channel") == "whatsapp" else ConsentChannel.SMS
    consent = ConsentStore(client, salon_id).handle_inbound_text(customer.id, text, channel, now)
    if consent is not None:
        if any(change.before and not change.after for change in consent.changes):
            from salonflow.services.autonomy import record_opt_out

            record_opt_out(client, salon_id, customer.id, now)
        return {"handled": "consent", "keyword": consent.keyword, "changes": len(consent.changes)}
    if channel is ConsentChannel.WHATSAPP:
        # A customer's message opens WhatsApp's 24-hour window for free-form replies.
        repos.customers.update(customer.id, {"last_inbound_message_at": now, "updated_at": now})
    from salonflow.services.reply_service import ReplyService

    outcome = ReplyService(client, salon_id, ports).handle(customer.id, now, text, button_payload=button)
    return {"handled": "reply", "outreach_id": outcome.outreach_id, "action": outcome.action.value,
            "accepted": outcome.accept.status.value if outcome.accept else None}


def _approver_reply(client: Any, salon_id: str, repos: SalonRepositories, approver: Any, text: str,
                    button: Any, now: datetime, ports: Any) -> dict[str, Any]:
    parsed = parse_approver_reply(text, button if isinstance(button, str) else None)
    if parsed is None:
        return {"handled": "approver_message_not_understood"}
    action, code = parsed
    pending = repos.approvals.pending(limit=PENDING_SCAN_LIMIT)
    if code:
        matches = [a for a in pending if a.id == code or a.id.lower().endswith(code.lower())]
    else:
        matches = pending if len(pending) == 1 else []  # a bare "yes" is only safe with one open request
    if len(matches) != 1:
        return {"handled": "approval_not_identified", "candidates": len(matches)}
    from salonflow.services.approval_service import ApprovalService

    responder = approver.user_id or f"whatsapp:{approver.phone}"
    result = ApprovalService(client, salon_id, ports).respond(matches[0].id, action, responder, now,
                                                              notes="answered on WhatsApp")
    return {"handled": "approval", "approval_id": result.approval_id, "status": result.status.value}


def handle_delivery_failure(client: Any, payload: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A failed/undelivered status callback: record why, and stop a salon that carriers are filtering."""
    salon_id = str(payload["salon_id"])
    repos = SalonRepositories(client, salon_id)
    outreach_id = str(payload.get("outreach_id") or "")
    outcome = str(payload.get("outcome") or "")
    error_code = payload.get("error_code")
    if outreach_id and repos.outreach.get(outreach_id) is not None and outcome == OutcomeKind.SUPPRESSED.value:
        repos.outreach.update(outreach_id, {"suppression_reason": f"twilio_{error_code}", "updated_at": now})
    if outcome == OutcomeKind.ALERT_PAUSE_SALON.value:
        salon = repos.salon.get()
        if salon is not None and salon.outreach_paused_at is None:
            reason = f"carrier filtering (Twilio {error_code})"
            repos.salon.update({"outreach_paused_at": now, "outreach_paused_reason": reason, "updated_at": now})
            AuditLogWriter(client, salon_id).append(audit.external_call(
                salon_id, "twilio_status_callback", "twilio", "delivery", "outreach", outreach_id or None, now,
                outcome, failed=True, error_code=error_code, action="salon outreach paused"))
    return {"outreach_id": outreach_id, "outcome": outcome, "error_code": error_code}
