"""Raw protobuf classes of the Firestore v1 API, built from a stored descriptor set.

google-cloud-firestore defines these messages with proto-plus, and importing them imports the whole
client package (clients, transports, google-auth, requests): ~0.3 s of the emulator's start-up before
this module existed. ``firestore_v1.fds`` holds the same definitions as a ``FileDescriptorSet`` taken
from the pinned library (``python -m localcloud.firestore.protos --write`` renews it; a unit test checks
it still matches), and building classes from it takes a few milliseconds.

The classes live in a descriptor pool of their own, so a process that also imports the client library
(tests running an emulator in-process) gets no clash between the two definitions. They are not the
client's ``.pb()`` classes: messages cross between the two as bytes (``SerializeToString``/``FromString``),
never with ``CopyFrom``. The server works on raw messages only: proto-plus marshalling would double the
cost of every request on the hot path.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pool, message_factory

DESCRIPTOR_SET = Path(__file__).with_name("firestore_v1.fds")
# The Firestore API's files and everything they import, dependencies first.
_LIBRARY_FILES = ("google/cloud/firestore_v1/types/firestore.proto",)



def _serialized_files(descriptor_set: bytes) -> list[bytes]:
    """The ``FileDescriptorProto`` entries of a ``FileDescriptorSet`` (field 1, length-delimited), read
    straight from the wire format: parsing it with ``descriptor_pb2`` would double this module's import."""
    files, position = [], 0
    while position < len(descriptor_set):
        if descriptor_set[position] != 0x0A:
            raise ValueError("not a FileDescriptorSet")
        size, shift, position = 0, 0, position + 1
        while True:
            byte = descriptor_set[position]
            position += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        files.append(descriptor_set[position : position + size])
        position += size
    return files


_pool = descriptor_pool.DescriptorPool()
for _file in _serialized_files(DESCRIPTOR_SET.read_bytes()):
    _pool.AddSerializedFile(_file)


def message(full_name: str) -> Any:
    """The class of message ``full_name`` (e.g. ``google.firestore.v1.Document``)."""
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(full_name))


def _v1(name: str) -> Any:
    return message(f"google.firestore.v1.{name}")


# Typed as Any: the generated classes carry no static type information mypy could use.
Document: Any = _v1("Document")
Value: Any = _v1("Value")
MapValue: Any = _v1("MapValue")
ArrayValue: Any = _v1("ArrayValue")

Write: Any = _v1("Write")
WriteResult: Any = _v1("WriteResult")
DocumentTransform: Any = _v1("DocumentTransform")
DocumentChange: Any = _v1("DocumentChange")
DocumentDelete: Any = _v1("DocumentDelete")
DocumentRemove: Any = _v1("DocumentRemove")

DocumentMask: Any = _v1("DocumentMask")
Precondition: Any = _v1("Precondition")
TransactionOptions: Any = _v1("TransactionOptions")

StructuredQuery: Any = _v1("StructuredQuery")
StructuredAggregationQuery: Any = _v1("StructuredAggregationQuery")
AggregationResult: Any = _v1("AggregationResult")

GetDocumentRequest: Any = _v1("GetDocumentRequest")
ListDocumentsRequest: Any = _v1("ListDocumentsRequest")
ListDocumentsResponse: Any = _v1("ListDocumentsResponse")
CreateDocumentRequest: Any = _v1("CreateDocumentRequest")
UpdateDocumentRequest: Any = _v1("UpdateDocumentRequest")
DeleteDocumentRequest: Any = _v1("DeleteDocumentRequest")
BatchGetDocumentsRequest: Any = _v1("BatchGetDocumentsRequest")
BatchGetDocumentsResponse: Any = _v1("BatchGetDocumentsResponse")
BeginTransactionRequest: Any = _v1("BeginTransactionRequest")
BeginTransactionResponse: Any = _v1("BeginTransactionResponse")
CommitRequest: Any = _v1("CommitRequest")
CommitResponse: Any = _v1("CommitResponse")
RollbackRequest: Any = _v1("RollbackRequest")
RunQueryRequest: Any = _v1("RunQueryRequest")
RunQueryResponse: Any = _v1("RunQueryResponse")
RunAggregationQueryRequest: Any = _v1("RunAggregationQueryRequest")
RunAggregationQueryResponse: Any = _v1("RunAggregationQueryResponse")
PartitionQueryRequest: Any = _v1("PartitionQueryRequest")
PartitionQueryResponse: Any = _v1("PartitionQueryResponse")
ListenRequest: Any = _v1("ListenRequest")
ListenResponse: Any = _v1("ListenResponse")
Target: Any = _v1("Target")
TargetChange: Any = _v1("TargetChange")
ListCollectionIdsRequest: Any = _v1("ListCollectionIdsRequest")
ListCollectionIdsResponse: Any = _v1("ListCollectionIdsResponse")
BatchWriteRequest: Any = _v1("BatchWriteRequest")
BatchWriteResponse: Any = _v1("BatchWriteResponse")
WriteRequest: Any = _v1("WriteRequest")
WriteResponse: Any = _v1("WriteResponse")

Timestamp: Any = message("google.protobuf.Timestamp")
Empty: Any = message("google.protobuf.Empty")

NULL_VALUE = 0  # google.protobuf.NullValue.NULL_VALUE


def descriptor_set_from_library() -> bytes:
    """The ``FileDescriptorSet`` the installed google-cloud-firestore defines (imports the library)."""
    from google.cloud.firestore_v1.types import firestore  # noqa: F401  (registers the files)
    from google.protobuf import (
        descriptor_pb2,
        empty_pb2,  # noqa: F401
    )

    library_pool = descriptor_pool.Default()
    ordered: dict[str, Any] = {}

    # proto-plus lists a file's imports in the order its modules happened to be imported: sorted here,
    # so the result depends only on the definitions.
    def visit(file: Any) -> None:
        if file.name in ordered:
            return
        for dependency in sorted(file.dependencies, key=lambda dependency: dependency.name):
            visit(dependency)
        ordered[file.name] = file

    for name in (*_LIBRARY_FILES, "google/protobuf/empty.proto"):
        visit(library_pool.FindFileByName(name))
    result = descriptor_pb2.FileDescriptorSet()
    for file in ordered.values():
        proto = result.file.add()
        file.CopyToProto(proto)
        if not proto.public_dependency and not proto.weak_dependency:  # those index into the list
            proto.dependency.sort()
    return bytes(result.SerializeToString(deterministic=True))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m localcloud.firestore.protos --write")
    DESCRIPTOR_SET.write_bytes(descriptor_set_from_library())
    print(f"wrote {DESCRIPTOR_SET}")
