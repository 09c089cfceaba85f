"""The ``google.firestore.v1.Firestore`` RPCs over the store, on raw protobuf messages.

Each handler parses its request, asks the authorizer, calls the store and builds the response.
Errors raised below as ``FirestoreError`` become the matching gRPC status in ``grpc_handlers``.
"""

from __future__ import annotations

import base64
import binascii
import random
import string
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from localcloud.firestore import errors, fieldpaths, protos, writes
from localcloud.firestore import query as query_engine
from localcloud.firestore.auth import Access, AllowAll, Authorizer, Caller, Method
from localcloud.firestore.explain import aggregated_fields, fill_plan, fill_stats
from localcloud.firestore.paths import compare_document_names
from localcloud.firestore.store import (
    DocumentLookup,
    ReadView,
    Store,
    WriteAccess,
    WriteCheck,
    validate_document_name,
)
from localcloud.firestore.timeutil import fill_timestamp, to_micros

if TYPE_CHECKING:
    from localcloud.firestore.indexes import IndexEnforcer  # imported only with --indexes

_AUTO_ID_ALPHABET = string.ascii_letters + string.digits
MIN_PARTITION_SIZE = 128
_random = random.SystemRandom()


def database_of(resource: str) -> str:
    """``projects/{p}/databases/{d}`` for a database, its documents root, or anything inside it."""
    parts = resource.split("/", 4)
    if len(parts) < 4 or parts[0] != "projects" or parts[2] != "databases" or not parts[1] or not parts[3]:
        raise errors.invalid_argument(f'Invalid resource name: "{resource}".')
    if len(parts) == 5 and not (parts[4] == "documents" or parts[4].startswith("documents/")):
        raise errors.invalid_argument(f'Invalid resource name: "{resource}".')
    return "/".join(parts[:4])


def validate_parent(parent: str) -> str:
    """A query/list parent is the documents root or a document; returns its database."""
    database = database_of(parent)
    root = database + "/documents"
    if parent != root:
        validate_document_name(parent, database)
    return database


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise errors.invalid_argument("Invalid page token.") from exc


def _encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def _masked(doc: Any, mask: Any | None) -> Any:
    if mask is None:
        return doc
    projected = protos.Document()
    projected.name = doc.name
    if doc.HasField("create_time"):
        projected.create_time.CopyFrom(doc.create_time)
        projected.update_time.CopyFrom(doc.update_time)
    fieldpaths.project(doc.fields, mask, projected.fields)
    return projected


def _mask_paths(request: Any) -> list[tuple[str, ...]] | None:
    if not request.HasField("mask"):
        return None
    try:
        return [fieldpaths.parse(path) for path in request.mask.field_paths]
    except fieldpaths.FieldPathError as exc:
        raise errors.invalid_argument(str(exc)) from exc


class FirestoreService:
    def __init__(
        self, store: Store, authorizer: Authorizer | None = None, indexes: IndexEnforcer | None = None
    ) -> None:
        self.store = store
        self.indexes = indexes  # None: every query runs, as in Google's emulator
        # AllowAll is skipped entirely so the common path pays nothing for the seam.
        self._authorizer = None if authorizer is None or isinstance(authorizer, AllowAll) else authorizer

    # ------------------------------------------------------------------------------------------
    # Access

    def set_authorizer(self, authorizer: Authorizer | None) -> None:
        """Swap the access decision at runtime (e.g. when new security rules are loaded)."""
        self._authorizer = None if authorizer is None or isinstance(authorizer, AllowAll) else authorizer

    def authorize(self, caller: Caller, method: Method, database: str, path: str, **details: Any) -> None:
        """Ask the authorizer about one read; admins and the allow-all authorizer skip the call."""
        if self._authorizer is not None and not caller.is_admin:
            self._authorizer.authorize(
                Access(
                    caller,
                    method,
                    database,
                    path,
                    time_micros=self.store.now(),
                    data=self.store.lookup(database),
                    **details,
                )
            )

    def _write_check(self, caller: Caller, database: str) -> WriteCheck | None:
        authorizer = self._authorizer
        if authorizer is None or caller.is_admin:
            return None

        def check(accesses: list[WriteAccess], lookup: DocumentLookup, commit_time: int) -> None:
            # request.time of a write is its commit time: what serverTimestamp() fields resolve to.
            decisions = []
            for access in accesses:
                old, new = access.old, access.new
                method: Method = "delete" if new is None else ("create" if old is None else "update")
                decisions.append(
                    Access(
                        caller,
                        method,
                        database,
                        access.name,
                        resource=old,
                        request_resource=new,
                        time_micros=commit_time,
                        data=lookup,
                    )
                )
            batch = getattr(authorizer, "authorize_batch", None)
            if batch is not None:
                batch(decisions)  # the writes of one commit share the access-call budget
            else:
                for decision in decisions:
                    authorizer.authorize(decision)

        return check

    def require_index(self, database: str, query: Any, aggregation: Any | None = None) -> None:
        """FAILED_PRECONDITION, as production answers, for a query the ``--indexes`` file cannot serve."""
        if self.indexes is not None:
            self.indexes.require(database, query, aggregation)

    # ------------------------------------------------------------------------------------------
    # Consistency

    def _begin(self, database: str, options: Any) -> bytes:
        mode = options.WhichOneof("mode")
        if mode == "read_only":
            read_only = options.read_only
            read_time = to_micros(read_only.read_time) if read_only.HasField("read_time") else None
            return self.store.begin(database, read_only=True, read_time=read_time, retry=None)
        retry = options.read_write.retry_transaction if mode == "read_write" else b""
        return self.store.begin(database, read_only=False, read_time=None, retry=retry or None)

    def _view(self, database: str, request: Any) -> tuple[ReadView, bytes | None]:
        selector = request.WhichOneof("consistency_selector")
        if selector == "transaction":
            return self.store.view(database, transaction=request.transaction), None
        if selector == "new_transaction":
            txn_id = self._begin(database, request.new_transaction)
            return self.store.view(database, transaction=txn_id), txn_id
        if selector == "read_time":
            return self.store.view(database, read_time=to_micros(request.read_time)), None
        return ReadView(), None

    # ------------------------------------------------------------------------------------------
    # Reads

    def batch_get_documents(self, request: Any, caller: Caller) -> Iterator[Any]:
        database = database_of(request.database)
        names = list(dict.fromkeys(request.documents))  # Firestore answers once per distinct document
        for name in names:
            validate_document_name(name, database)
        mask = _mask_paths(request)
        view, new_txn = self._view(database, request)
        docs, read_time = self.store.get_documents(database, names, view)
        responses = []
        for name, doc in zip(names, docs, strict=True):
            self.authorize(caller, "get", database, name, resource=doc)
            response = protos.BatchGetDocumentsResponse()
            if doc is None:
                response.missing = name
            else:
                response.found.CopyFrom(_masked(doc, mask))
            fill_timestamp(response.read_time, read_time)
            responses.append(response)
        # Firestore streams the documents it found before it reports the missing ones (Google's
        # test_get_all relies on it); each group keeps the request's order.
        responses.sort(key=lambda response: response.HasField("missing"))
        if new_txn is not None:
            if not responses:
                responses.append(protos.BatchGetDocumentsResponse())
            responses[0].transaction = new_txn
        return iter(responses)

    def get_document(self, request: Any, caller: Caller) -> Any:
        database = database_of(request.name)
        validate_document_name(request.name, database)
        mask = _mask_paths(request)
        view, _ = self._view(database, request)
        (doc,), _read_time = self.store.get_documents(database, [request.name], view)
        self.authorize(caller, "get", database, request.name, resource=doc)
        if doc is None:
            raise errors.not_found(f'Document "{request.name}" not found.')
        return _masked(doc, mask)

    def run_query(self, request: Any, caller: Caller) -> Iterator[Any]:
        database = validate_parent(request.parent)
        query = request.structured_query
        try:
            query_engine.validate_query(query)
        except query_engine.QueryError as exc:
            raise errors.invalid_argument(str(exc)) from exc
        self.require_index(database, query)
        self.authorize(caller, "list", database, _list_path(request.parent, query), query=query)
        view, new_txn = self._view(database, request)
        explain = request.explain_options if request.HasField("explain_options") else None
        if explain is not None and not explain.analyze:
            response = protos.RunQueryResponse()
            fill_plan(response.explain_metrics, query)
            if new_txn is not None:
                response.transaction = new_txn
            return iter([response])
        started = time.perf_counter()
        docs, read_time = self.store.run_query(database, request.parent, query, view)
        metrics = None
        if explain is not None:
            metrics = protos.RunQueryResponse().explain_metrics
            fill_plan(metrics, query)
            seconds = time.perf_counter() - started
            fill_stats(metrics, results=len(docs), reads=len(docs), scanned=len(docs), seconds=seconds)
        return self._query_responses(docs, read_time, new_txn, metrics)

    @staticmethod
    def _query_responses(
        docs: list[Any], read_time: int, new_txn: bytes | None, metrics: Any | None
    ) -> Iterator[Any]:
        first = True
        for doc in docs:
            response = protos.RunQueryResponse()
            response.document.CopyFrom(doc)
            fill_timestamp(response.read_time, read_time)
            if first and new_txn is not None:
                response.transaction = new_txn
            first = False
            yield response
        if first or metrics is not None:
            # An empty result still answers once with the read time; explain metrics come last.
            response = protos.RunQueryResponse()
            fill_timestamp(response.read_time, read_time)
            if first and new_txn is not None:
                response.transaction = new_txn
            if metrics is not None:
                response.explain_metrics.CopyFrom(metrics)
            yield response

    def run_aggregation_query(self, request: Any, caller: Caller) -> Iterator[Any]:
        database = validate_parent(request.parent)
        aggregation = request.structured_aggregation_query
        query = aggregation.structured_query
        try:
            query_engine.validate_query(query)
        except query_engine.QueryError as exc:
            raise errors.invalid_argument(str(exc)) from exc
        self.require_index(database, query, aggregation)
        self.authorize(caller, "list", database, _list_path(request.parent, query), query=query)
        view, new_txn = self._view(database, request)
        started = time.perf_counter()
        try:
            fields, read_time = self.store.run_aggregation(database, request.parent, aggregation, view)
        except query_engine.QueryError as exc:
            raise errors.invalid_argument(str(exc)) from exc
        response = protos.RunAggregationQueryResponse()
        fill_timestamp(response.read_time, read_time)
        if new_txn is not None:
            response.transaction = new_txn
        explain = request.explain_options if request.HasField("explain_options") else None
        if explain is None or explain.analyze:
            for alias, value in fields.items():
                response.result.aggregate_fields[alias].CopyFrom(value)
        if explain is not None:
            fill_plan(response.explain_metrics, query, aggregated_fields(aggregation))
            if explain.analyze:
                seconds = time.perf_counter() - started
                fill_stats(response.explain_metrics, results=1, reads=1, scanned=0, seconds=seconds)
        return iter([response])

    def partition_query(self, request: Any, caller: Caller) -> Any:
        """Split points for a collection-group query ordered by ``__name__``: at most
        ``partition_count - 1`` of them, each partition holding at least 128 documents."""
        database = validate_parent(request.parent)
        query = request.structured_query
        try:
            query_engine.validate_query(query)
        except query_engine.QueryError as exc:
            raise errors.invalid_argument(str(exc)) from exc
        if request.partition_count <= 0:
            raise errors.invalid_argument("partition_count must be positive.")
        orders = [(order.field.field_path, order.direction) for order in query.order_by]
        if query.HasField("where") or orders not in ([], [("__name__", 1)]):
            raise errors.invalid_argument(
                "Partition queries support no filters and only ordering by __name__ ASC."
            )
        self.authorize(caller, "list", database, _list_path(request.parent, query), query=query)
        view = (
            self.store.view(database, read_time=to_micros(request.read_time))
            if request.HasField("read_time")
            else ReadView()
        )
        docs, _ = self.store.run_query(database, request.parent, query, view)
        size = max(MIN_PARTITION_SIZE, -(-len(docs) // request.partition_count))
        response = protos.PartitionQueryResponse()
        for index in range(size, len(docs), size):
            response.partitions.add().values.add().reference_value = docs[index].name
        return response

    def list_documents(self, request: Any, caller: Caller) -> Any:
        database = validate_parent(request.parent)
        if request.collection_id and "/" in request.collection_id:
            raise errors.invalid_argument(f'Invalid collection id "{request.collection_id}".')
        if request.order_by and request.order_by not in ("__name__", "__name__ asc"):
            raise errors.invalid_argument("ListDocuments only supports ordering by __name__.")
        mask = _mask_paths(request)
        self.authorize(caller, "list", database, f"{request.parent}/{request.collection_id}")
        view, _ = self._view(database, request)
        docs, _read_time = self.store.list_documents(
            database, request.parent, request.collection_id, view, show_missing=request.show_missing
        )
        if request.page_token:
            after = _decode_token(request.page_token)
            docs = [doc for doc in docs if compare_document_names(doc.name, after) > 0]
        response = protos.ListDocumentsResponse()
        page = docs[: request.page_size] if request.page_size > 0 else docs
        for doc in page:
            response.documents.add().CopyFrom(_masked(doc, mask) if doc.HasField("create_time") else doc)
        if request.page_size > 0 and len(docs) > request.page_size:
            response.next_page_token = _encode_token(page[-1].name)
        return response

    def list_collection_ids(self, request: Any, caller: Caller) -> Any:
        database = validate_parent(request.parent)
        self.authorize(caller, "list", database, request.parent)
        view = (
            self.store.view(database, read_time=to_micros(request.read_time))
            if request.HasField("read_time")
            else ReadView()
        )
        ids = self.store.list_collection_ids(database, request.parent, view)
        if request.page_token:
            after = _decode_token(request.page_token)
            ids = [collection_id for collection_id in ids if collection_id > after]
        response = protos.ListCollectionIdsResponse()
        page = ids[: request.page_size] if request.page_size > 0 else ids
        response.collection_ids.extend(page)
        if request.page_size > 0 and len(ids) > request.page_size:
            response.next_page_token = _encode_token(page[-1])
        return response

    # ------------------------------------------------------------------------------------------
    # Transactions and writes

    def begin_transaction(self, request: Any, caller: Caller) -> Any:
        database = database_of(request.database)
        response = protos.BeginTransactionResponse()
        response.transaction = self._begin(database, request.options)
        return response

    def rollback(self, request: Any, caller: Caller) -> None:
        database = database_of(request.database)
        if not request.transaction:
            raise errors.invalid_argument("Missing transaction.")
        self.store.rollback(database, request.transaction)

    def commit(self, request: Any, caller: Caller) -> Any:
        database = database_of(request.database)
        commit_time, results = self.commit_writes(
            database, request.writes, caller, transaction=request.transaction or None
        )
        response = protos.CommitResponse()
        response.write_results.extend(results)
        fill_timestamp(response.commit_time, commit_time)
        return response

    def commit_writes(
        self, database: str, write_list: Iterable[Any], caller: Caller, *, transaction: bytes | None = None
    ) -> tuple[int, list[Any]]:
        """Commit a client's writes atomically (``verify`` writes included) after the rules allow them."""
        return self.store.commit(
            database,
            [writes.lift_verify(write) for write in write_list],
            transaction=transaction,
            check=self._write_check(caller, database),
        )

    def batch_write(self, request: Any, caller: Caller) -> Any:
        """Each write commits on its own; one failing does not stop the others (not atomic)."""

        database = database_of(request.database)
        check = self._write_check(caller, database)
        response = protos.BatchWriteResponse()
        for write in request.writes:
            status = response.status.add()  # OK unless the write fails
            try:
                _time, (result,) = self.store.commit(database, [write], check=check)
                response.write_results.append(result)
            except errors.FirestoreError as exc:
                response.write_results.add()
                status.code = errors.STATUS_CODES[exc.code]
                status.message = exc.message
        return response

    def create_document(self, request: Any, caller: Caller) -> Any:
        database = validate_parent(request.parent)
        document_id = request.document_id or "".join(_random.choice(_AUTO_ID_ALPHABET) for _ in range(20))
        write = protos.Write()
        write.update.CopyFrom(request.document)
        write.update.name = f"{request.parent}/{request.collection_id}/{document_id}"
        write.current_document.exists = False
        return self._write_and_read(database, write, caller, _mask_paths(request))

    def update_document(self, request: Any, caller: Caller) -> Any:
        database = database_of(request.document.name)
        write = protos.Write()
        write.update.CopyFrom(request.document)
        if request.HasField("update_mask"):
            write.update_mask.CopyFrom(request.update_mask)
        if request.HasField("current_document"):
            write.current_document.CopyFrom(request.current_document)
        return self._write_and_read(database, write, caller, _mask_paths(request))

    def _write_and_read(self, database: str, write: Any, caller: Caller, mask: Any | None) -> Any:
        commit_time, _ = self.store.commit(database, [write], check=self._write_check(caller, database))
        (doc,), _ = self.store.documents_snapshot(database, [write.update.name], at=commit_time)
        return _masked(doc, mask)

    def delete_document(self, request: Any, caller: Caller) -> None:
        database = database_of(request.name)
        write = protos.Write()
        write.delete = request.name
        if request.HasField("current_document"):
            write.current_document.CopyFrom(request.current_document)
        self.store.commit(database, [write], check=self._write_check(caller, database))


def _list_path(parent: str, query: Any) -> str:
    sources = query.from_
    collection = sources[0].collection_id if len(sources) == 1 else ""
    return f"{parent}/{collection}" if collection else parent
