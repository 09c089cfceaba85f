"""Raw protobuf classes of the Firestore v1 API.

google-cloud-firestore ships proto-plus wrappers; ``.pb()`` gives the underlying generated
protobuf class. The server works on those raw messages only: proto-plus marshalling would
double the cost of every request on the hot path.
"""

from __future__ import annotations

from typing import Any

from google.cloud.firestore_v1.types import aggregation_result as _aggregation_result
from google.cloud.firestore_v1.types import common as _common
from google.cloud.firestore_v1.types import document as _document
from google.cloud.firestore_v1.types import firestore as _firestore
from google.cloud.firestore_v1.types import query as _query
from google.cloud.firestore_v1.types import write as _write

# Typed as Any: the generated classes carry no static type information mypy could use.
Document: Any = _document.Document.pb()
Value: Any = _document.Value.pb()
MapValue: Any = _document.MapValue.pb()
ArrayValue: Any = _document.ArrayValue.pb()

Write: Any = _write.Write.pb()
WriteResult: Any = _write.WriteResult.pb()
DocumentTransform: Any = _write.DocumentTransform.pb()
DocumentChange: Any = _write.DocumentChange.pb()
DocumentDelete: Any = _write.DocumentDelete.pb()
DocumentRemove: Any = _write.DocumentRemove.pb()

DocumentMask: Any = _common.DocumentMask.pb()
Precondition: Any = _common.Precondition.pb()
TransactionOptions: Any = _common.TransactionOptions.pb()

StructuredQuery: Any = _query.StructuredQuery.pb()
StructuredAggregationQuery: Any = _query.StructuredAggregationQuery.pb()
AggregationResult: Any = _aggregation_result.AggregationResult.pb()

GetDocumentRequest: Any = _firestore.GetDocumentRequest.pb()
ListDocumentsRequest: Any = _firestore.ListDocumentsRequest.pb()
ListDocumentsResponse: Any = _firestore.ListDocumentsResponse.pb()
CreateDocumentRequest: Any = _firestore.CreateDocumentRequest.pb()
UpdateDocumentRequest: Any = _firestore.UpdateDocumentRequest.pb()
DeleteDocumentRequest: Any = _firestore.DeleteDocumentRequest.pb()
BatchGetDocumentsRequest: Any = _firestore.BatchGetDocumentsRequest.pb()
BatchGetDocumentsResponse: Any = _firestore.BatchGetDocumentsResponse.pb()
BeginTransactionRequest: Any = _firestore.BeginTransactionRequest.pb()
BeginTransactionResponse: Any = _firestore.BeginTransactionResponse.pb()
CommitRequest: Any = _firestore.CommitRequest.pb()
CommitResponse: Any = _firestore.CommitResponse.pb()
RollbackRequest: Any = _firestore.RollbackRequest.pb()
RunQueryRequest: Any = _firestore.RunQueryRequest.pb()
RunQueryResponse: Any = _firestore.RunQueryResponse.pb()
RunAggregationQueryRequest: Any = _firestore.RunAggregationQueryRequest.pb()
RunAggregationQueryResponse: Any = _firestore.RunAggregationQueryResponse.pb()
PartitionQueryRequest: Any = _firestore.PartitionQueryRequest.pb()
PartitionQueryResponse: Any = _firestore.PartitionQueryResponse.pb()
ListenRequest: Any = _firestore.ListenRequest.pb()
ListenResponse: Any = _firestore.ListenResponse.pb()
Target: Any = _firestore.Target.pb()
TargetChange: Any = _firestore.TargetChange.pb()
ListCollectionIdsRequest: Any = _firestore.ListCollectionIdsRequest.pb()
ListCollectionIdsResponse: Any = _firestore.ListCollectionIdsResponse.pb()
BatchWriteRequest: Any = _firestore.BatchWriteRequest.pb()
BatchWriteResponse: Any = _firestore.BatchWriteResponse.pb()

NULL_VALUE = 0  # google.protobuf.NullValue.NULL_VALUE
