"""Errors carrying the gRPC status Firestore answers with (kept free of grpc imports)."""

from __future__ import annotations


class FirestoreError(Exception):
    """Raised anywhere below the gRPC adapter; ``code`` is a ``grpc.StatusCode`` member name."""

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
