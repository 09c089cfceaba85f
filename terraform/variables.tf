variable "project_id" {
  description = "Google Cloud project that hosts Salon Flow."
  type        = string
  default     = "salon-saas-487508"
}

variable "region" {
  description = "Region for queues and functions (Mumbai, closest to our first market)."
  type        = string
  default     = "asia-south1"
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channel ids (projects/P/notificationChannels/N) the alerts notify."
  type        = list(string)
  default     = []
}
