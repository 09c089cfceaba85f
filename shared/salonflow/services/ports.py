"""The side-effect ports the service layer is given (real adapters in production, recorders in tests)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from salonflow.ports import EventPublisher, MessageSender, PushNotifier, TaskQueue


@dataclass(frozen=True)
class ServicePorts:
    messages: MessageSender
    events: EventPublisher
    tasks: TaskQueue | None = None
    push: PushNotifier | None = None
    # Public URLs Twilio calls back (the configured canonical base URL, never the one a function sees).
    status_callback_url: str = "http://127.0.0.1:5001/demo-salonflow/asia-south1/webhooks/twilio/status"
    voice_url: str = "http://127.0.0.1:5001/demo-salonflow/asia-south1/webhooks/twilio/voice"
    execute_path: str = "/internal/tasks/execute"

    def status_callback_for(self, salon_id: str, outreach_id: str | None = None) -> str:
        """The status callback URL carrying our ids: Twilio signs it whole, so the route cannot be forged
        and a callback finds its outreach without a cross-salon lookup."""
        route = {"salon_id": salon_id, **({"outreach_id": outreach_id} if outreach_id else {})}
        return f"{self.status_callback_url}?{urlencode(sorted(route.items()))}"

    def voice_url_for(self, salon_id: str, decision_id: str) -> str:
        return f"{self.voice_url}?{urlencode(sorted({'decision_id': decision_id, 'salon_id': salon_id}.items()))}"
