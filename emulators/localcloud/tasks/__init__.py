"""A Cloud Tasks emulator speaking google.cloud.tasks.v2 gRPC that dispatches HTTP tasks."""
