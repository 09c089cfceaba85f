# Infrastructure the Firebase CLI does not create: the event topic, the Cloud Tasks
# queues of the spec, the runtime service account with its roles, and empty secret
# containers (values are added out of band with `firebase functions:secrets:set`).

terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

resource "google_pubsub_topic" "salon_events" {
  #checkov:skip=CKV_GCP_83:Events carry ids and event types, no message text; Google-managed encryption suffices and a CMEK key ring is outside the spec's infrastructure.
  name                       = "salon-events"
  message_retention_duration = "86400s"
}

resource "google_service_account" "api" {
  account_id   = "salon-flow-api"
  display_name = "Salon Flow functions runtime"
}

locals {
  runtime_roles = [
    "roles/datastore.user",
    "roles/pubsub.publisher",
    "roles/pubsub.subscriber",
    "roles/cloudtasks.enqueuer",
    "roles/secretmanager.secretAccessor",
  ]

  # Rate limits as the spec's queue table; where the spec gives no retry config
  # (analytics, cleanup, notifications' backoff) we reuse autonomous-agents' values.
  queues = {
    "autonomous-agents" = { concurrent = 10, per_second = 5, max_attempts = 3, min_backoff = "10s", max_backoff = "300s" }
    "notifications"     = { concurrent = 20, per_second = 10, max_attempts = 3, min_backoff = "10s", max_backoff = "300s" }
    "analytics"         = { concurrent = 5, per_second = 2, max_attempts = 3, min_backoff = "10s", max_backoff = "300s" }
    "cleanup"           = { concurrent = 3, per_second = 1, max_attempts = 3, min_backoff = "10s", max_backoff = "300s" }
  }

  secrets = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]
}

resource "google_project_iam_member" "api_roles" {
  for_each = toset(local.runtime_roles)
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.api.email}"
}

# Cloud Tasks mints OIDC tokens as this account when calling the internal endpoints, so the
# account may act as itself; granted on the account, not project-wide (checkov CKV_GCP_41/49).
resource "google_service_account_iam_member" "api_acts_as_itself" {
  service_account_id = google_service_account.api.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.api.email}"
}

resource "google_cloud_tasks_queue" "queues" {
  for_each = local.queues
  name     = each.key
  location = var.region

  rate_limits {
    max_concurrent_dispatches = each.value.concurrent
    max_dispatches_per_second = each.value.per_second
  }

  retry_config {
    max_attempts = each.value.max_attempts
    min_backoff  = each.value.min_backoff
    max_backoff  = each.value.max_backoff
  }
}

resource "google_secret_manager_secret" "runtime" {
  for_each  = toset(local.secrets)
  secret_id = each.value
  replication {
    auto {}
  }
}
