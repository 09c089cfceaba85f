"""Errors carrying the gRPC status Firestore answers with (kept free of grpc imports)."""

from __future__ import annotations

# gRPC status codes by name (google.rpc.Code), what ``FirestoreError.code`` names.
STATUS_CODES = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "OUT_OF_RANGE": 11,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "DATA_LOSS": 15,
    "UNAUTHENTICATED": 16,
}


class FirestoreError(Exception):
    """Raised anywhere below the gRPC adapter; ``code`` is a gRPC status name (``STATUS_CODES``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid_argument(message: str) -> FirestoreError:
    return FirestoreError("INVALID_ARGUMENT", message)


def not_found(message: str) -> FirestoreError:
    return FirestoreError("NOT_FOUND", message)


def already_exists(message: str) -> FirestoreError:
    return FirestoreError("ALREADY_EXISTS", message)


def failed_precondition(message: str) -> FirestoreError:
    return FirestoreError("FAILED_PRECONDITION", message)


CONTENTION_MESSAGE = "Too much contention on these documents. Please try again."


def aborted(message: str = CONTENTION_MESSAGE) -> FirestoreError:
    return FirestoreError("ABORTED", message)


EXPIRED_TRANSACTION_MESSAGE = "The referenced transaction has expired or is no longer valid."
