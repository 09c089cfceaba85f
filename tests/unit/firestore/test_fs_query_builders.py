"""Builders for raw Firestore protobufs used by the query-engine unit tests (no tests live here)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.types import document
from localcloud.firestore import protos
from localcloud.firestore.query import execute_query

# The emulator's own classes (protos.py): the client library's ``.pb()`` classes are a different pool.
DocumentPb = protos.Document
ValuePb = protos.Value
QueryPb = protos.StructuredQuery
AggregationQueryPb = protos.StructuredAggregationQuery
FieldOp = QueryPb.FieldFilter.Operator
UnaryOp = QueryPb.UnaryFilter.Operator

ROOT = "projects/demo/databases/(default)/documents"
OTHER_ROOT = "projects/demo/databases/other/documents"

OPS = {
    "<": FieldOp.LESS_THAN,
    "<=": FieldOp.LESS_THAN_OR_EQUAL,
    ">": FieldOp.GREATER_THAN,
    ">=": FieldOp.GREATER_THAN_OR_EQUAL,
    "==": FieldOp.EQUAL,
    "!=": FieldOp.NOT_EQUAL,
    "array-contains": FieldOp.ARRAY_CONTAINS,
    "in": FieldOp.IN,
    "array-contains-any": FieldOp.ARRAY_CONTAINS_ANY,
    "not-in": FieldOp.NOT_IN,
}
UNARY_OPS = {
    "is-null": UnaryOp.IS_NULL,
    "is-nan": UnaryOp.IS_NAN,
    "is-not-null": UnaryOp.IS_NOT_NULL,
    "is-not-nan": UnaryOp.IS_NOT_NAN,
}


@dataclass(frozen=True)
class Ref:
    """A reference value to a document path relative to ROOT."""

    path: str
    root: str = ROOT


@dataclass(frozen=True)
class Geo:
    latitude: float
    longitude: float


def val(python: Any) -> Any:
    """A raw protobuf Value from a Python value (Ref / Geo for references and geopoints)."""
    if isinstance(python, Ref):
        return ValuePb(reference_value=f"{python.root}/{python.path}")
    if isinstance(python, Geo):
        pb = ValuePb()
        pb.geo_point_value.latitude = python.latitude
        pb.geo_point_value.longitude = python.longitude
        return pb
    if isinstance(python, list):
        pb = ValuePb()
        pb.array_value.SetInParent()
        for element in python:
            pb.array_value.values.append(val(element))
        return pb
    if isinstance(python, dict):
        pb = ValuePb()
        pb.map_value.SetInParent()
        for key, element in python.items():
            pb.map_value.fields[key].CopyFrom(val(element))
        return pb
    return ValuePb.FromString(document.Value.serialize(_helpers.encode_value(python)))


def ts(seconds: int, micros: int = 0) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC) + datetime.timedelta(microseconds=micros)


def doc(path: str, data: dict[str, Any] | None = None, root: str = ROOT) -> Any:
    pb = DocumentPb(name=f"{root}/{path}")
    for key, value in (data or {}).items():
        pb.fields[key].CopyFrom(val(value))
    pb.create_time.seconds = 1_700_000_000
    pb.update_time.seconds = 1_700_000_001
    return pb


def field(path: str, op: str, value: Any) -> Any:
    f = QueryPb.Filter()
    f.field_filter.field.field_path = path
    f.field_filter.op = OPS[op]
    f.field_filter.value.CopyFrom(val(value))
    return f


def unary(path: str, op: str) -> Any:
    f = QueryPb.Filter()
    f.unary_filter.field.field_path = path
    f.unary_filter.op = UNARY_OPS[op]
    return f


def _composite(op: int, filters: Iterable[Any]) -> Any:
    f = QueryPb.Filter()
    f.composite_filter.op = op
    for sub in filters:
        f.composite_filter.filters.append(sub)
    return f


def and_(*filters: Any) -> Any:
    return _composite(QueryPb.CompositeFilter.Operator.AND, filters)


def or_(*filters: Any) -> Any:
    return _composite(QueryPb.CompositeFilter.Operator.OR, filters)


def make_query(
    collection: str = "c",
    *,
    where: Any = None,
    order: Iterable[str] = (),
    start_at: list[Any] | None = None,
    start_after: list[Any] | None = None,
    end_at: list[Any] | None = None,
    end_before: list[Any] | None = None,
    offset: int = 0,
    limit: int | None = None,
    select: list[str] | None = None,
    all_descendants: bool = False,
) -> Any:
    """A raw StructuredQuery; ``order`` items are field paths, prefixed with '-' for descending."""
    q = QueryPb()
    selector = q.from_.add()
    selector.collection_id = collection
    selector.all_descendants = all_descendants
    if where is not None:
        q.where.CopyFrom(where)
    for item in order:
        o = q.order_by.add()
        o.field.field_path = item.lstrip("-")
        o.direction = QueryPb.Direction.DESCENDING if item.startswith("-") else QueryPb.Direction.ASCENDING
    for values, target, before in (
        (start_at, q.start_at, True),
        (start_after, q.start_at, False),
        (end_before, q.end_at, True),
        (end_at, q.end_at, False),
    ):
        if values is not None:
            target.before = before
            for value in values:
                target.values.append(val(value))
    q.offset = offset
    if limit is not None:
        q.limit.value = limit
    if select is not None:
        q.select.SetInParent()
        for path in select:
            q.select.fields.add().field_path = path
    return q


def relative(name: str) -> str:
    return name.split("/documents/", 1)[1]


def run(q: Any, docs: Iterable[Any], parent: str = ROOT) -> list[str]:
    """Relative paths of the query's results."""
    return [relative(result.name) for result in execute_query(q, parent, docs)]


def ids(q: Any, docs: Iterable[Any], parent: str = ROOT) -> list[str]:
    return [result.name.rsplit("/", 1)[1] for result in execute_query(q, parent, docs)]
