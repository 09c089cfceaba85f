"""Binds ``FirestoreService`` (and Listen, Write) to ``grpc_server`` as ``google.firestore.v1.Firestore``.

Which calls are answered on the connection's reader thread: every read outside a read-write transaction
(it only takes the store lock) and, without a data directory, every single commit; such a commit that
finds a document locked by a transaction raises ``store.WouldWait`` before changing anything and is run
again on a worker, where it waits as before. Transactional reads (they queue for locks), BatchWrite (its
writes commit one by one, so it could not start over) and, with ``--data-dir``, writes (they wait for
the fsync, which concurrent commits share) always run on workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from localcloud.firestore import protos
from localcloud.firestore.auth import caller_from_metadata
from localcloud.firestore.grpc_server import Call, Method, Reschedule
from localcloud.firestore.listen import ListenSession
from localcloud.firestore.service import FirestoreService
from localcloud.firestore.store import WouldWait, never_waiting
from localcloud.firestore.write_stream import WriteRequest, WriteSession

SERVICE_NAME = "google.firestore.v1.Firestore"
_TRANSACTIONAL = ("transaction", "new_transaction")


def _outside_transactions(request: Any) -> bool:
    return request.WhichOneof("consistency_selector") not in _TRANSACTIONAL


def _always(_request: Any) -> bool:
    return True


def methods(service: FirestoreService) -> dict[str, Method]:
    store = service.store

    def unary(fn: Callable[[Any, Any], Any], empty: bool = False) -> Callable[[Any, Call], Any]:
        def handle(request: Any, call: Call) -> Any:
            caller = caller_from_metadata(call.metadata)
            if call.inline:
                try:
                    with never_waiting():
                        result = fn(request, caller)
                except WouldWait as exc:
                    raise Reschedule() from exc
            else:
                result = fn(request, caller)
            return protos.Empty() if empty else result

        return handle

    def commits_inline(_request: Any) -> bool:
        return not store.is_durable

    def listen(requests: Iterator[Any], call: Call) -> Iterator[Any]:
        session = ListenSession(store, caller_from_metadata(call.metadata), service)
        call.add_done_callback(session.close)
        return session.run(requests)

    def write(requests: Iterator[Any], call: Call) -> Iterator[Any]:
        return WriteSession(service, caller_from_metadata(call.metadata)).run(requests)

    table = {
        "GetDocument": Method("unary", protos.GetDocumentRequest, unary(service.get_document), _outside_transactions),
        "ListDocuments": Method("unary", protos.ListDocumentsRequest, unary(service.list_documents), _always),
        "CreateDocument": Method(
            "unary", protos.CreateDocumentRequest, unary(service.create_document), commits_inline
        ),
        "UpdateDocument": Method(
            "unary", protos.UpdateDocumentRequest, unary(service.update_document), commits_inline
        ),
        "DeleteDocument": Method(
            "unary", protos.DeleteDocumentRequest, unary(service.delete_document, empty=True), commits_inline
        ),
        "BatchGetDocuments": Method(
            "server_stream",
            protos.BatchGetDocumentsRequest,
            unary(service.batch_get_documents),
            _outside_transactions,
        ),
        "BeginTransaction": Method(
            "unary", protos.BeginTransactionRequest, unary(service.begin_transaction), _always
        ),
        "Commit": Method("unary", protos.CommitRequest, unary(service.commit), commits_inline),
        "Rollback": Method("unary", protos.RollbackRequest, unary(service.rollback, empty=True), _always),
        "RunQuery": Method("server_stream", protos.RunQueryRequest, unary(service.run_query), _outside_transactions),
        "RunAggregationQuery": Method(
            "server_stream",
            protos.RunAggregationQueryRequest,
            unary(service.run_aggregation_query),
            _outside_transactions,
        ),
        "PartitionQuery": Method("unary", protos.PartitionQueryRequest, unary(service.partition_query), _always),
        "ListCollectionIds": Method(
            "unary", protos.ListCollectionIdsRequest, unary(service.list_collection_ids), _always
        ),
        "BatchWrite": Method("unary", protos.BatchWriteRequest, unary(service.batch_write)),
        "Write": Method("bidi", WriteRequest, write),
        "Listen": Method("bidi", protos.ListenRequest, listen),
    }
    return {f"/{SERVICE_NAME}/{name}": method for name, method in table.items()}
