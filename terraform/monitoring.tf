# The spec's six metrics as log-based metrics over the functions' structured logs
# (shared/salonflow/observability: jsonPayload.event names the event, labels.salon_id and
# labels.agent_name come from the logging.googleapis.com/labels key), its three alerts and a
# dashboard. The local evaluator in salonflow.observability.alerts implements the same rules.

locals {
  events_filter = "resource.type=\"cloud_run_revision\" AND jsonPayload.event"
  entry_labels = {
    salon_id   = "EXTRACT(labels.salon_id)"
    agent_name = "EXTRACT(labels.agent_name)"
  }

  # PromQL names of the counters (Cloud Monitoring's mapping: the first "/" becomes ":", "." and other "/"
  # become "_"); the log-based metrics are written against cloud_run_revision, so the selectors say so.
  promql_outcomes  = "logging_googleapis_com:user_${google_logging_metric.decisions_success_rate.name}"
  promql_approvals = "logging_googleapis_com:user_${google_logging_metric.approval_events.name}"
  on_run           = "monitored_resource=\"cloud_run_revision\""
}

resource "google_logging_metric" "decisions_total" {
  name   = "autonomous_decisions_total"
  filter = "${local.events_filter}=\"decision_made\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key = "salon_id"
    }
    labels {
      key = "agent_name"
    }
    labels {
      key = "decision_type"
    }
  }
  label_extractors = merge(local.entry_labels, { decision_type = "EXTRACT(jsonPayload.decision_type)" })
}

# A ratio is not a log-based metric: this counts outcomes by result ("success"/"failure") and the
# alert and dashboard divide successes by all outcomes.
resource "google_logging_metric" "decisions_success_rate" {
  name   = "autonomous_decisions_success_rate"
  filter = "${local.events_filter}=\"decision_outcome\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key = "salon_id"
    }
    labels {
      key = "agent_name"
    }
    labels {
      key = "result"
    }
  }
  label_extractors = merge(local.entry_labels, { result = "EXTRACT(jsonPayload.result)" })
}

resource "google_logging_metric" "revenue_generated" {
  name            = "autonomous_revenue_generated"
  filter          = "${local.events_filter}=\"revenue_attributed\""
  value_extractor = "EXTRACT(jsonPayload.amount)"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "INR"
    labels {
      key = "salon_id"
    }
    labels {
      key = "agent_name"
    }
  }
  label_extractors = local.entry_labels
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 16
      growth_factor      = 2
      scale              = 100
    }
  }
}

resource "google_logging_metric" "breaker_state" {
  name   = "agent_circuit_breaker_state"
  filter = "${local.events_filter}=\"breaker_state\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key = "salon_id"
    }
    labels {
      key = "agent_name"
    }
    labels {
      key = "state"
    }
  }
  label_extractors = merge(local.entry_labels, { state = "EXTRACT(jsonPayload.state)" })
}

resource "google_logging_metric" "approval_response_time" {
  name            = "approval_response_time_seconds"
  filter          = "${local.events_filter}=\"approval_answered\""
  value_extractor = "EXTRACT(jsonPayload.seconds)"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "s"
    labels {
      key = "salon_id"
    }
    labels {
      key = "agent_name"
    }
  }
  label_extractors = local.entry_labels
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 16
      growth_factor      = 2
      scale              = 5
    }
  }
}

resource "google_logging_metric" "outreach_delivery" {
  name   = "outreach_delivery_rate"
  filter = "${local.events_filter}=\"outreach_delivery\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key = "salon_id"
    }
    labels {
      key = "agent_name"
    }
    labels {
      key = "result"
    }
  }
  label_extractors = merge(local.entry_labels, { result = "EXTRACT(jsonPayload.result)" })
}

# Approvals requested, answered and closed unanswered (expired), for the backlog alert.
resource "google_logging_metric" "approval_events" {
  name   = "approval_events"
  filter = "${local.events_filter}=(\"approval_requested\" OR \"approval_answered\" OR \"approval_closed\")"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key = "salon_id"
    }
    labels {
      key = "event"
    }
  }
  label_extractors = {
    salon_id = "EXTRACT(labels.salon_id)"
    event    = "EXTRACT(jsonPayload.event)"
  }
}

# PromQL, not a condition_threshold ratio: a salon whose outcomes all fail has no "success" series at all,
# and a ratio with a missing numerator is never evaluated. "or ... * 0" supplies the zero; with no outcome
# in the window the division is empty and the alert resolves (the local evaluator does the same).
resource "google_monitoring_alert_policy" "high_failure_rate" {
  display_name          = "high_failure_rate"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  conditions {
    display_name = "success rate < 0.8 for 5 min"
    condition_prometheus_query_language {
      query               = "(sum by (salon_id) (increase(${local.promql_outcomes}{${local.on_run},result=\"success\"}[5m])) or sum by (salon_id) (increase(${local.promql_outcomes}{${local.on_run}}[5m])) * 0) / sum by (salon_id) (increase(${local.promql_outcomes}{${local.on_run}}[5m])) < 0.8"
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }
  documentation {
    content   = "Autonomous decisions of a salon succeeded less than 80% of the time over 5 minutes."
    mime_type = "text/markdown"
  }
}

# A breaker opening is one log entry, so the condition matches that entry (a log-match
# condition); the incident closes itself after auto_close unless the breaker opens again.
resource "google_monitoring_alert_policy" "circuit_breaker_open" {
  display_name          = "circuit_breaker_open"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels
  conditions {
    display_name = "circuit_breaker_state == open"
    condition_matched_log {
      filter = "${local.events_filter}=\"breaker_state\" AND jsonPayload.state=\"open\""
      label_extractors = {
        salon_id   = "EXTRACT(labels.salon_id)"
        agent_name = "EXTRACT(labels.agent_name)"
      }
    }
  }
  alert_strategy {
    notification_rate_limit {
      period = "300s"
    }
    auto_close = "1800s"
  }
  documentation {
    content   = "An agent's circuit breaker opened: the agent stops acting until the breaker half-opens."
    mime_type = "text/markdown"
  }
}

# Pending = requested - (answered + closed) over the last day (approvals expire within 15 minutes and
# cleanup closes them within the hour), per salon; "or ... * 0" keeps a salon nobody answers.
resource "google_monitoring_alert_policy" "approval_backlog" {
  display_name          = "approval_backlog"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  conditions {
    display_name = "pending approvals > 10 for 15 min"
    condition_prometheus_query_language {
      query               = "sum by (salon_id) (increase(${local.promql_approvals}{${local.on_run},event=\"approval_requested\"}[1d])) - (sum by (salon_id) (increase(${local.promql_approvals}{${local.on_run},event!=\"approval_requested\"}[1d])) or sum by (salon_id) (increase(${local.promql_approvals}{${local.on_run},event=\"approval_requested\"}[1d])) * 0) > 10"
      duration            = "900s"
      evaluation_interval = "60s"
    }
  }
  documentation {
    content   = "More than 10 approvals of a salon have waited for 15 minutes."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_dashboard" "salon_flow" {
  dashboard_json = file("${path.module}/dashboard.json")
}
