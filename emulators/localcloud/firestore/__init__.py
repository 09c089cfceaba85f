"""A Firestore-compatible local emulator: gRPC ``google.firestore.v1.Firestore`` plus HTTP extras."""
