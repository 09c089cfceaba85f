"""The side-effect ports the service layer is given (real adapters in production, recorders in tests)."""

from __future__ import annotations

from dataclasses import dataclass

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
