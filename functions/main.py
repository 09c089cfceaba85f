"""Salon Flow's Cloud Functions. Only declarations live here: each handler parses its event, calls
``salonflow``, and answers. Heavy clients (Twilio, Pub/Sub, Cloud Tasks) are imported on first use
inside ``salonflow``, so a cold start pays only for what the invoked function needs.
"""

from __future__ import annotations

from firebase_functions import firestore_fn, https_fn, options, params, pubsub_fn, scheduler_fn
from salonflow import runtime

REGION = options.SupportedRegion.ASIA_SOUTH1
KOLKATA = scheduler_fn.Timezone("Asia/Kolkata")
TWILIO_ACCOUNT_SID = params.SecretParam("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = params.SecretParam("TWILIO_AUTH_TOKEN")
TWILIO_SECRETS = [TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN]
# The identity every function runs as: the account Terraform creates with the spec's roles, not the default
# compute account. "name@" is the Firebase CLI's project-relative form (it appends the project's domain).
FUNCTIONS_SERVICE_ACCOUNT = params.StringParam(
    "FUNCTIONS_SERVICE_ACCOUNT", default="salon-flow-api@",
    description="Service account the functions run as (Terraform output service_account_email)")

options.set_global_options(region=REGION, memory=options.MemoryOption.MB_512, max_instances=20,
                           service_account=FUNCTIONS_SERVICE_ACCOUNT)  # type: ignore[arg-type]


# --- HTTP -----------------------------------------------------------------------------------------

@https_fn.on_request(timeout_sec=60, min_instances=0)
def autonomous(req: https_fn.Request) -> https_fn.Response:
    """The owner-facing /autonomous/... API (Firebase ID token, salon_roles claim)."""
    return runtime.autonomous_api(req)


@https_fn.on_request(timeout_sec=15, secrets=TWILIO_SECRETS)
def webhooks(req: https_fn.Request) -> https_fn.Response:
    """Twilio status, incoming-message and voice webhooks (signature-checked)."""
    return runtime.twilio_webhooks(req)


@https_fn.on_request(timeout_sec=300, secrets=TWILIO_SECRETS, memory=options.MemoryOption.GB_1)
def internal(req: https_fn.Request) -> https_fn.Response:
    """/internal/tasks/*: called by Cloud Tasks with an OIDC token of our service account."""
    return runtime.internal_tasks(req)


# --- schedules: each tick only fans out one named task per due salon ------------------------------

@scheduler_fn.on_schedule(schedule="*/5 * * * *", timezone=KOLKATA)
def schedule_gap_fill(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("gap_fill_agent", event.schedule_time)


@scheduler_fn.on_schedule(schedule="*/10 * * * *", timezone=KOLKATA)
def schedule_no_show_prevention(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("no_show_prevention_agent", event.schedule_time)


@scheduler_fn.on_schedule(schedule="*/5 * * * *", timezone=KOLKATA)
def schedule_waitlist(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("waitlist_agent", event.schedule_time)


@scheduler_fn.on_schedule(schedule="*/30 * * * *", timezone=KOLKATA)
def schedule_upsell(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("upsell_agent", event.schedule_time)


@scheduler_fn.on_schedule(schedule="0 * * * *", timezone=KOLKATA)
def schedule_retention(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("retention_agent", event.schedule_time)


@scheduler_fn.on_schedule(schedule="5 * * * *", timezone=KOLKATA)
def schedule_analytics(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("analytics_agent", event.schedule_time)


@scheduler_fn.on_schedule(schedule="0 0 * * *", timezone=KOLKATA)
def schedule_daily_analytics(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("analytics_agent", event.schedule_time)


@scheduler_fn.on_schedule(schedule="15 * * * *", timezone=KOLKATA)
def schedule_cleanup(event: scheduler_fn.ScheduledEvent) -> None:
    runtime.fan_out("cleanup_agent", event.schedule_time)


# --- Firestore triggers ---------------------------------------------------------------------------

# firebase-functions 0.6 offers no retry option for Firestore triggers: a lost event is caught by the
# agents' periodic sweep, which re-detects gaps from the bookings themselves.
@firestore_fn.on_document_written(document="salons/{salonId}/bookings/{bookingId}")
def on_booking_written(event: firestore_fn.Event[firestore_fn.Change[firestore_fn.DocumentSnapshot | None]]) -> None:
    """A booking created, cancelled, moved, completed or marked no-show: gaps, scores, no-show plans."""
    runtime.booking_changed(event)


@firestore_fn.on_document_updated(document="salons/{salonId}/approvals/{approvalId}")
def on_approval_updated(
    event: firestore_fn.Event[firestore_fn.Change[firestore_fn.DocumentSnapshot | None]],
) -> None:
    """An approval answered (from the PWA or the API): execute or cancel its decision exactly once."""
    runtime.approval_changed(event)


# --- Pub/Sub --------------------------------------------------------------------------------------

@pubsub_fn.on_message_published(topic="salon-events", retry=True, secrets=TWILIO_SECRETS)
def on_salon_event(event: pubsub_fn.CloudEvent[pubsub_fn.MessagePublishedData]) -> None:
    """salon-events consumer: urgent approvals reach their approvers at once; every event is counted."""
    runtime.salon_event(event)
