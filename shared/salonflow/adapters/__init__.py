"""Adapters at the edge: Firestore repositories, Twilio, Pub/Sub, Cloud Tasks, push notifications."""
