"""Structured logs that Cloud Logging parses, the metrics computed from them, and a pure alert evaluator."""
