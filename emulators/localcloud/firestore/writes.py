"""Applying one ``Write`` to the current version of a document: pure, time is passed in.

Covers preconditions, update masks (a masked path absent from the data deletes the field),
every field transform with Firestore's int/double rules, validation (reserved names, arrays in
arrays, the 1 MiB limit) and microsecond truncation of timestamps.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from localcloud.firestore import errors, fieldpaths, protos
from localcloud.firestore.timeutil import fill_timestamp, to_micros
from localcloud.firestore.values import compare_values

MAX_DOCUMENT_BYTES = 1_048_576
MAX_NESTING_DEPTH = 20  # maps and arrays inside each other
MAX_FIELD_NAME_BYTES = 1500
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_RESERVED_NAME = re.compile(r"^__.*__$")


@dataclass(frozen=True)
class WriteOutcome:
    name: str
    new: Any | None  # the document after the write, None when deleted or still absent
    transform_results: list[Any]
    changed: bool  # False when the write left the stored document exactly as it was


VERIFY_FIELD_NUMBER = 5  # Write.verify: newer than the protos google-cloud-firestore ships


@dataclass(frozen=True)
class Verify:
    """A ``Write.verify``: only its precondition is checked, nothing is written.

    Web and mobile SDKs send one for every document a transaction read but did not write (their
    transactions are optimistic: plain reads, then a commit whose verifies prove nothing changed).
    The Python protos have no ``verify`` field, so it arrives as unknown field 5 and is lifted here.
    """

    name: str
    current_document: Any | None  # Precondition

    def HasField(self, field: str) -> bool:  # protobuf spelling: check_precondition calls it
        return field == "current_document" and self.current_document is not None


def lift_verify(write: Any) -> Any:
    """``write`` itself, or a :class:`Verify` when it carries the ``verify`` operation."""
    if write.WhichOneof("operation") is not None:
        return write
    from google.protobuf import unknown_fields

    for unknown in unknown_fields.UnknownFieldSet(write):
        if unknown.field_number == VERIFY_FIELD_NUMBER and isinstance(unknown.data, bytes):
            condition = write.current_document if write.HasField("current_document") else None
            return Verify(unknown.data.decode(), condition)
    return write


def target_name(write: Any) -> str:
    if isinstance(write, Verify):
        return write.name
    operation = write.WhichOneof("operation")
    if operation == "update":
        return str(write.update.name)
    if operation == "delete":
        return str(write.delete)
    if operation == "transform":
        return str(write.transform.document)
    raise errors.invalid_argument("A write must have an operation (update, delete or transform).")


def check_precondition(write: Any, name: str, old: Any | None, now_micros: int) -> None:
    if not write.HasField("current_document"):
        return
    condition = write.current_document
    kind = condition.WhichOneof("condition_type")
    if kind == "exists":
        if condition.exists and old is None:
            raise errors.not_found(f"No document to update: {name}")
        if not condition.exists and old is not None:
            raise errors.already_exists(f"Document already exists: {name}")
    elif kind == "update_time":
        required = to_micros(condition.update_time)
        if required > now_micros:
            raise errors.invalid_argument(f"Precondition update_time of {name} is in the future.")
        if old is None:
            raise errors.failed_precondition(f"No document to update: {name}")
        stored = to_micros(old.update_time)
        if stored != required:
            raise errors.failed_precondition(
                f"The stored version ({stored}) of {name} does not match the required base version ({required})."
            )


def apply_write(write: Any, old: Any | None, commit_micros: int) -> WriteOutcome:
    """The outcome of ``write`` on ``old``; raises FirestoreError for a rejected write."""
    name = target_name(write)
    check_precondition(write, name, old, commit_micros)
    if isinstance(write, Verify):
        return WriteOutcome(name, old, [], False)
    operation = write.WhichOneof("operation")
    if operation == "delete":
        if write.update_transforms:
            raise errors.invalid_argument("A delete cannot carry field transforms.")
        return WriteOutcome(name, None, [], old is not None)

    new = protos.Document()
    new.name = name
    if operation == "transform":
        transforms = write.transform.field_transforms
        if old is not None:
            new.fields.MergeFrom(old.fields)
    else:
        transforms = write.update_transforms
        source = write.update.fields
        if write.HasField("update_mask"):
            if old is not None:
                new.fields.MergeFrom(old.fields)
            for path in write.update_mask.field_paths:
                segments = _parse_path(path)
                value = fieldpaths.get(source, segments)
                if value is None:
                    fieldpaths.delete(new.fields, segments)
                else:
                    fieldpaths.set_value(new.fields, segments, value)
        else:
            new.fields.MergeFrom(source)

    results = [_apply_transform(new.fields, transform, commit_micros) for transform in transforms]
    size = _validate_fields(new.fields, name) + document_name_size(name) + 32
    if size > MAX_DOCUMENT_BYTES:
        raise errors.invalid_argument(
            f"Document '{name}' cannot be written because its size ({size:,} bytes) exceeds the maximum "
            f"allowed size of {MAX_DOCUMENT_BYTES:,} bytes."
        )
    if old is not None and old.fields == new.fields:
        return WriteOutcome(name, old, results, False)
    if old is not None:
        new.create_time.CopyFrom(old.create_time)
    else:
        fill_timestamp(new.create_time, commit_micros)
    fill_timestamp(new.update_time, commit_micros)
    return WriteOutcome(name, new, results, True)


def _parse_path(path: str) -> tuple[str, ...]:
    try:
        return fieldpaths.parse(path)
    except fieldpaths.FieldPathError as exc:
        raise errors.invalid_argument(str(exc)) from exc


# ---------------------------------------------------------------------------------------------
# Transforms


def _apply_transform(fields: Any, transform: Any, commit_micros: int) -> Any:
    segments = _parse_path(transform.field_path)
    current = fieldpaths.get(fields, segments)
    kind = transform.WhichOneof("transform_type")
    result = protos.Value()
    if kind == "set_to_server_value":
        if transform.set_to_server_value != protos.DocumentTransform.FieldTransform.REQUEST_TIME:
            raise errors.invalid_argument("Unsupported server value.")
        fill_timestamp(result.timestamp_value, commit_micros)
        fieldpaths.set_value(fields, segments, result)
        return result
    if kind in ("increment", "maximum", "minimum"):
        operand = getattr(transform, kind)
        if not _is_number(operand):
            raise errors.invalid_argument(f"The {kind} operand must be an integer or a double.")
        if kind == "increment":
            new_value = _increment(current, operand)
        else:
            new_value = _extreme(current, operand, maximum=kind == "maximum")
        fieldpaths.set_value(fields, segments, new_value)
        return new_value
    if kind in ("append_missing_elements", "remove_all_from_array"):
        elements = getattr(transform, kind).values
        existing = (
            list(current.array_value.values)
            if current is not None and current.WhichOneof("value_type") == "array_value"
            else []
        )
        array = protos.Value()
        array.array_value.SetInParent()
        if kind == "append_missing_elements":
            merged = list(existing)
            for element in elements:
                if not any(compare_values(element, seen) == 0 for seen in merged):
                    merged.append(element)
        else:
            merged = [item for item in existing if not any(compare_values(item, e) == 0 for e in elements)]
        array.array_value.values.extend(merged)
        fieldpaths.set_value(fields, segments, array)
        result.null_value = protos.NULL_VALUE
        return result
    raise errors.invalid_argument("A field transform must set a transform type.")


def _is_number(value: Any) -> bool:
    return value is not None and value.WhichOneof("value_type") in ("integer_value", "double_value")


def _number(value: Any) -> int | float:
    return value.integer_value if value.WhichOneof("value_type") == "integer_value" else value.double_value


def _increment(current: Any | None, operand: Any) -> Any:
    result = protos.Value()
    if not _is_number(current):
        result.CopyFrom(operand)
        return result
    assert current is not None
    both_integers = (
        current.WhichOneof("value_type") == "integer_value"
        and operand.WhichOneof("value_type") == "integer_value"
    )
    if both_integers:
        # Integer overflow saturates at the largest-magnitude int64 instead of wrapping.
        total = current.integer_value + operand.integer_value
        result.integer_value = max(INT64_MIN, min(INT64_MAX, total))
    else:
        result.double_value = float(_number(current)) + float(_number(operand))
    return result


def _extreme(current: Any | None, operand: Any, *, maximum: bool) -> Any:
    result = protos.Value()
    if not _is_number(current):
        result.CopyFrom(operand)
        return result
    assert current is not None
    stored, given = _number(current), _number(operand)
    if isinstance(stored, float) and math.isnan(stored):
        result.CopyFrom(current)
    elif isinstance(given, float) and math.isnan(given):
        result.CopyFrom(operand)
    elif stored == given:
        # Equivalent operands (3 and 3.0, 0 and -0.0) leave the stored value and its type alone.
        result.CopyFrom(current)
    elif (given > stored) == maximum:
        result.CopyFrom(operand)
    else:
        result.CopyFrom(current)
    return result


# ---------------------------------------------------------------------------------------------
# Validation and storage size (https://firebase.google.com/docs/firestore/storage-size)


def document_name_size(name: str) -> int:
    path = name.split("/documents/", 1)[1] if "/documents/" in name else ""
    return sum(len(segment.encode()) + 1 for segment in path.split("/") if segment) + 16


def _validate_fields(fields: Any, name: str, *, allow_vector_type: bool = False, depth: int = 0) -> int:
    if depth > MAX_NESTING_DEPTH:
        raise errors.invalid_argument(
            f"Cannot write document {name}: maps and arrays are nested more than {MAX_NESTING_DEPTH} levels deep."
        )
    size = 0
    for key, value in fields.items():
        if _RESERVED_NAME.match(key) and not (allow_vector_type and key == "__type__"):
            raise errors.invalid_argument(
                f"Cannot write document {name}: field name '{key}' is reserved (names matching __.*__ are reserved)."
            )
        key_bytes = len(key.encode())
        if key_bytes > MAX_FIELD_NAME_BYTES:
            raise errors.invalid_argument(
                f"Cannot write document {name}: a field name is longer than {MAX_FIELD_NAME_BYTES} bytes."
            )
        size += key_bytes + 1 + _validate_value(value, name, in_array=False, depth=depth)
    return size


def _validate_value(value: Any, name: str, *, in_array: bool, depth: int) -> int:
    kind = value.WhichOneof("value_type")
    if kind == "string_value":
        return len(value.string_value.encode()) + 1
    if kind == "map_value":
        fields = value.map_value.fields
        is_vector = "__type__" in fields and fields["__type__"].string_value == "__vector__"
        return _validate_fields(fields, name, allow_vector_type=is_vector, depth=depth + 1)
    if kind == "array_value":
        if in_array:
            raise errors.invalid_argument(
                f"Cannot write document {name}: an array value cannot directly contain another array value."
            )
        if depth + 1 > MAX_NESTING_DEPTH:
            raise errors.invalid_argument(
                f"Cannot write document {name}: maps and arrays are nested more than {MAX_NESTING_DEPTH} levels deep."
            )
        return sum(
            _validate_value(item, name, in_array=True, depth=depth + 1) for item in value.array_value.values
        )
    if kind == "timestamp_value":
        # Firestore keeps microsecond precision; drop the rest so reads return what is stored.
        value.timestamp_value.nanos -= value.timestamp_value.nanos % 1000
        return 8
    if kind == "bytes_value":
        return len(value.bytes_value)
    if kind == "reference_value":
        return document_name_size(value.reference_value)
    if kind == "geo_point_value":
        return 16
    if kind in ("integer_value", "double_value"):
        return 8
    if kind in ("null_value", "boolean_value"):
        return 1
    if kind is None:
        raise errors.invalid_argument(f"Cannot write document {name}: a value must have a type.")
    return 8
