"""The demo salon and its day."""
