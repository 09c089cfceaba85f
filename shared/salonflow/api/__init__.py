"""The ``/autonomous`` HTTP API: a small router over the service layer, independent of Flask."""
