"""Firestore protobuf values (raw ``google.firestore.v1.Value`` messages) as rules values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from localcloud.rules.values import EPOCH, LatLng, Path


def from_firestore_value(value: Any) -> Any:
    """Convert one ``Value`` protobuf (``document.Value.pb()`` instance) to a plain rules value.

    Timestamps become timezone-aware UTC datetimes (microsecond precision: nanoseconds below a microsecond
    are dropped); references become :class:`Path` ``/databases/{db}/documents/...`` as rules see them.
    """
    kind = value.WhichOneof("value_type")
    if kind is None or kind == "null_value":
        return None
    if kind == "boolean_value":
        return bool(value.boolean_value)
    if kind == "integer_value":
        return int(value.integer_value)
    if kind == "double_value":
        return float(value.double_value)
    if kind == "string_value":
        return str(value.string_value)
    if kind == "bytes_value":
        return bytes(value.bytes_value)
    if kind == "timestamp_value":
        stamp = value.timestamp_value
        return EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
    if kind == "reference_value":
        return reference_to_path(value.reference_value)
    if kind == "geo_point_value":
        return LatLng(value.geo_point_value.latitude, value.geo_point_value.longitude)
    if kind == "array_value":
        return [from_firestore_value(item) for item in value.array_value.values]
    if kind == "map_value":
        return from_firestore_fields(value.map_value.fields)
    raise ValueError(f"unsupported Firestore value type {kind}")


def from_firestore_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A document's (or map's) ``fields`` as a dict of rules values."""
    return {name: from_firestore_value(item) for name, item in fields.items()}


def reference_to_path(name: str) -> Path:
    """``projects/p/databases/d/documents/a/b`` -> ``/databases/d/documents/a/b``."""
    segments = name.split("/")
    if len(segments) >= 5 and segments[0] == "projects" and segments[2] == "databases":
        return Path(tuple(segments[2:]))
    return Path.parse(name)

