"""Firestore's total order over values, as plain Python sort keys.

Type order: null < booleans < numbers < timestamps < strings < bytes < references < geopoints < arrays
< vectors < maps. Queries compare many values against few, so every value is turned once into a tuple
whose natural Python ordering is Firestore's ordering; comparisons are then cheap tuple comparisons.

- Numbers: NaN sorts before every other number; integers and doubles compare by exact numeric value
  (Python compares int with float exactly), so 1 == 1.0 and -0.0 == 0.
- Strings: UTF-8 byte order, which equals Python's code-point order for valid Unicode.
- References: segment by segment, numeric ids (``__id<n>__``) before string ids.
- Arrays: element by element, a shorter prefix first (tuple order).
- Vectors (maps ``{__type__: "__vector__", value: [...]}``): by length, then element by element.
- Maps: keys in sorted order, comparing key then value pair by pair, then size (tuple order).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from localcloud.firestore import protos
from localcloud.firestore.paths import name_key, parse_field_path

Value = Any  # google.firestore.v1.Value protobuf message (protos.Value)
Document = Any  # google.firestore.v1.Document protobuf message
ValueKey = tuple[Any, ...]
KeyGetter = Callable[[Document], "ValueKey | None"]

NAME_FIELD = "__name__"  # the field path of a document's own name in filters and orders

ValuePb = protos.Value

TYPE_NULL = 0
TYPE_BOOLEAN = 1
TYPE_NUMBER = 2
TYPE_TIMESTAMP = 3
TYPE_STRING = 5
TYPE_BYTES = 6
TYPE_REFERENCE = 7
TYPE_GEOPOINT = 8
TYPE_ARRAY = 9
TYPE_VECTOR = 10
TYPE_MAP = 11
TYPE_OTHER = 99

NAN_KEY: ValueKey = (TYPE_NUMBER, 0)
NULL_KEY: ValueKey = (TYPE_NULL,)

VECTOR_TYPE_KEY = "__type__"
VECTOR_TYPE_VALUE = "__vector__"
VECTOR_VALUE_KEY = "value"


def number_key(number: float | int) -> ValueKey:
    if isinstance(number, float) and math.isnan(number):
        return NAN_KEY
    return (TYPE_NUMBER, 1, number)


def is_vector(value: Value) -> bool:
    if value.WhichOneof("value_type") != "map_value":
        return False
    fields = value.map_value.fields
    if VECTOR_TYPE_KEY not in fields or VECTOR_VALUE_KEY not in fields:
        return False
    marker = fields[VECTOR_TYPE_KEY]
    return (
        marker.WhichOneof("value_type") == "string_value"
        and marker.string_value == VECTOR_TYPE_VALUE
        and fields[VECTOR_VALUE_KEY].WhichOneof("value_type") == "array_value"
    )


def value_key(value: Value) -> ValueKey:
    """A tuple that sorts exactly like ``value`` in Firestore's total order."""
    kind = value.WhichOneof("value_type")
    if kind == "integer_value":
        return (TYPE_NUMBER, 1, value.integer_value)
    if kind == "string_value":
        return (TYPE_STRING, value.string_value)
    if kind == "double_value":
        return number_key(value.double_value)
    if kind == "null_value" or kind is None:
        return NULL_KEY
    if kind == "boolean_value":
        return (TYPE_BOOLEAN, value.boolean_value)
    if kind == "timestamp_value":
        return (TYPE_TIMESTAMP, value.timestamp_value.seconds, value.timestamp_value.nanos)
    if kind == "bytes_value":
        return (TYPE_BYTES, value.bytes_value)
    if kind == "reference_value":
        return (TYPE_REFERENCE, name_key(value.reference_value))
    if kind == "geo_point_value":
        return (TYPE_GEOPOINT, value.geo_point_value.latitude, value.geo_point_value.longitude)
    if kind == "array_value":
        return (TYPE_ARRAY, tuple(value_key(element) for element in value.array_value.values))
    if kind == "map_value":
        if is_vector(value):
            elements = value.map_value.fields[VECTOR_VALUE_KEY].array_value.values
            return (TYPE_VECTOR, len(elements), tuple(value_key(element) for element in elements))
        fields = value.map_value.fields
        return (TYPE_MAP, tuple((name, value_key(fields[name])) for name in sorted(fields)))
    # Expression-only values (field references, functions, pipelines) never appear in stored documents.
    return (TYPE_OTHER, kind, value.SerializeToString(deterministic=True))


def type_order(value: Value) -> int:
    return int(value_key(value)[0])


def compare_keys(a: ValueKey, b: ValueKey) -> int:
    return (a > b) - (a < b)


def compare_values(a: Value, b: Value) -> int:
    return compare_keys(value_key(a), value_key(b))


def values_equal(a: Value, b: Value) -> bool:
    """Firestore query equality: 1 == 1.0, -0.0 == 0.0, NaN equals NaN, maps/arrays compared deeply."""
    return value_key(a) == value_key(b)


def is_nan(value: Value) -> bool:
    return value.WhichOneof("value_type") == "double_value" and math.isnan(value.double_value)


def is_null(value: Value) -> bool:
    return value.WhichOneof("value_type") == "null_value"


def get_field_by_segments(fields: Mapping[str, Value], segments: tuple[str, ...]) -> Value | None:
    current: Mapping[str, Value] = fields
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment not in current:
            return None
        value = current[segment]
        if index == last:
            return value
        if value.WhichOneof("value_type") != "map_value":
            return None
        current = value.map_value.fields
    return None


def get_field(fields: Mapping[str, Value], path: str) -> Value | None:
    """The value at a dotted / back-quoted field path, or None when any segment is missing."""
    return get_field_by_segments(fields, parse_field_path(path))


def _name_key(doc: Document) -> ValueKey:
    return (TYPE_REFERENCE, name_key(doc.name))


def key_getter(segments: tuple[str, ...]) -> KeyGetter:
    """A function giving a document's value key at a parsed field path (``__name__``: its name), None
    when the document has no value there."""
    if segments == (NAME_FIELD,):
        return _name_key
    if len(segments) == 1:
        field = segments[0]

        def top_level(doc: Document) -> ValueKey | None:
            fields = doc.fields
            return value_key(fields[field]) if field in fields else None

        return top_level

    def nested(doc: Document) -> ValueKey | None:
        value = get_field_by_segments(doc.fields, segments)
        return None if value is None else value_key(value)

    return nested
