"""The ``Write`` bidi stream: how the web and mobile SDKs send their writes.

Protocol (``google.firestore.v1.Firestore/Write``):

1. Handshake: the first request names the database and carries no ``stream_id``, ``stream_token`` or
   writes. The answer holds the new ``stream_id`` and a ``stream_token``.
2. Every later request carries a batch of writes and the last token the client has seen (the SDKs
   pipeline batches, so any token this stream issued is accepted). Each batch commits atomically,
   in order, and is answered with its ``write_results``, ``commit_time`` and a fresh token.
3. A batch that fails (security rules, a precondition, a bad write) ends the stream with that status,
   as Firestore does; the client reports the error for that batch and opens a new stream.

Resuming an earlier stream by ``stream_id`` is not supported: no client SDK does it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from localcloud.firestore import errors, protos
from localcloud.firestore.auth import Caller
from localcloud.firestore.service import FirestoreService, database_of
from localcloud.firestore.timeutil import fill_timestamp

WriteRequest: Any = protos.WriteRequest
WriteResponse: Any = protos.WriteResponse


class WriteSession:
    def __init__(self, service: FirestoreService, caller: Caller) -> None:
        self._service = service
        self._caller = caller
        self._database: str | None = None
        self._stream_id = os.urandom(12).hex()
        self._issued: set[bytes] = set()
        self._counter = 0

    def run(self, requests: Iterator[Any]) -> Iterator[Any]:
        for request in requests:
            yield self.handle(request)

    def handle(self, request: Any) -> Any:
        if self._database is None:
            return self._handshake(request)
        if request.database and database_of(request.database) != self._database:
            raise errors.invalid_argument("A Write stream serves a single database.")
        if request.stream_token not in self._issued:
            raise errors.invalid_argument("Invalid stream token.")
        commit_time, results = self._service.commit_writes(self._database, request.writes, self._caller)
        response = self._response()
        response.write_results.extend(results)
        fill_timestamp(response.commit_time, commit_time)
        return response

    def _handshake(self, request: Any) -> Any:
        if not request.database:
            raise errors.invalid_argument("The first request on a Write stream must name the database.")
        if request.stream_id:
            raise errors.invalid_argument("Resuming a Write stream is not supported: open a new one.")
        if request.writes:
            raise errors.invalid_argument("The first request on a Write stream cannot contain writes.")
        self._database = database_of(request.database)
        return self._response()

    def _response(self) -> Any:
        self._counter += 1
        token = self._counter.to_bytes(8, "big")
        self._issued.add(token)
        response = WriteResponse()
        response.stream_id = self._stream_id
        response.stream_token = token
        return response
