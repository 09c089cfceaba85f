"""Binds ``FirestoreService`` (and Listen) to grpcio as ``google.firestore.v1.Firestore``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf import empty_pb2

from localcloud.firestore import errors, protos
from localcloud.firestore.auth import caller_from_metadata
from localcloud.firestore.listen import ListenSession
from localcloud.firestore.service import FirestoreService
from localcloud.firestore.write_stream import WriteRequest, WriteResponse, WriteSession

SERVICE_NAME = "google.firestore.v1.Firestore"


def _abort(context: grpc.ServicerContext, exc: errors.FirestoreError) -> None:
    context.abort(grpc.StatusCode[exc.code], exc.message)


def _unary(
    method: Callable[[Any, Any], Any], empty: bool = False
) -> Callable[[Any, grpc.ServicerContext], Any]:
    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            result = method(request, caller_from_metadata(context.invocation_metadata()))
        except errors.FirestoreError as exc:
            _abort(context, exc)
        return empty_pb2.Empty() if empty else result

    return handle


def _streaming(
    method: Callable[[Any, Any], Iterator[Any]],
) -> Callable[[Any, grpc.ServicerContext], Iterator[Any]]:
    def handle(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            # The whole result is computed before the first message goes out, so errors surface as a status.
            responses = method(request, caller_from_metadata(context.invocation_metadata()))
            first = next(responses, None)
        except errors.FirestoreError as exc:
            _abort(context, exc)
            return
        if first is not None:
            yield first
        yield from responses

    return handle


def generic_handler(service: FirestoreService) -> grpc.GenericRpcHandler:
    store = service.store

    def listen(request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        session = ListenSession(store, caller_from_metadata(context.invocation_metadata()), service)
        context.add_callback(session.close)
        try:
            yield from session.run(request_iterator)
        except errors.FirestoreError as exc:
            _abort(context, exc)

    def write(request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        session = WriteSession(service, caller_from_metadata(context.invocation_metadata()))
        try:
            yield from session.run(request_iterator)
        except errors.FirestoreError as exc:
            _abort(context, exc)

    def unary(fn: Callable[..., Any], req: Any, resp: Any, empty: bool = False) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(
            _unary(fn, empty),
            request_deserializer=req.FromString,
            response_serializer=(empty_pb2.Empty if empty else resp).SerializeToString,
        )

    def stream(fn: Callable[..., Any], req: Any, resp: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_stream_rpc_method_handler(
            _streaming(fn), request_deserializer=req.FromString, response_serializer=resp.SerializeToString
        )

    handlers = {
        "GetDocument": unary(service.get_document, protos.GetDocumentRequest, protos.Document),
        "ListDocuments": unary(
            service.list_documents, protos.ListDocumentsRequest, protos.ListDocumentsResponse
        ),
        "CreateDocument": unary(service.create_document, protos.CreateDocumentRequest, protos.Document),
        "UpdateDocument": unary(service.update_document, protos.UpdateDocumentRequest, protos.Document),
        "DeleteDocument": unary(service.delete_document, protos.DeleteDocumentRequest, None, empty=True),
        "BatchGetDocuments": stream(
            service.batch_get_documents, protos.BatchGetDocumentsRequest, protos.BatchGetDocumentsResponse
        ),
        "BeginTransaction": unary(
            service.begin_transaction, protos.BeginTransactionRequest, protos.BeginTransactionResponse
        ),
        "Commit": unary(service.commit, protos.CommitRequest, protos.CommitResponse),
        "Rollback": unary(service.rollback, protos.RollbackRequest, None, empty=True),
        "RunQuery": stream(service.run_query, protos.RunQueryRequest, protos.RunQueryResponse),
        "RunAggregationQuery": stream(
            service.run_aggregation_query,
            protos.RunAggregationQueryRequest,
            protos.RunAggregationQueryResponse,
        ),
        "PartitionQuery": unary(
            service.partition_query, protos.PartitionQueryRequest, protos.PartitionQueryResponse
        ),
        "ListCollectionIds": unary(
            service.list_collection_ids, protos.ListCollectionIdsRequest, protos.ListCollectionIdsResponse
        ),
        "BatchWrite": unary(service.batch_write, protos.BatchWriteRequest, protos.BatchWriteResponse),
        "Write": grpc.stream_stream_rpc_method_handler(
            write,
            request_deserializer=WriteRequest.FromString,
            response_serializer=WriteResponse.SerializeToString,
        ),
        "Listen": grpc.stream_stream_rpc_method_handler(
            listen,
            request_deserializer=protos.ListenRequest.FromString,
            response_serializer=protos.ListenResponse.SerializeToString,
        ),
    }
    return grpc.method_handlers_generic_handler(SERVICE_NAME, handlers)
