"""A Pub/Sub emulator speaking google.pubsub.v1 gRPC, for ``PUBSUB_EMULATOR_HOST``."""
