output "service_account_email" {
  value = google_service_account.api.email
}

output "events_topic" {
  value = google_pubsub_topic.salon_events.id
}
