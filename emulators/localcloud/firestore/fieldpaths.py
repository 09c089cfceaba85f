"""Field paths (``a.b``, ``a.`x.y```) and reading/writing them inside a document's fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from localcloud.firestore import protos
from localcloud.firestore.values import get_field_by_segments


class FieldPathError(ValueError):
    """An unparsable field path; answered with INVALID_ARGUMENT."""


def parse(path: str) -> tuple[str, ...]:
    """Split a field path into segments, honouring back-quoted segments and ``\\`` escapes."""
    if not path:
        raise FieldPathError("Field path must not be empty.")
    segments: list[str] = []
    current: list[str] = []
    i = 0
    quoted = False
    closed_quote = False
    while i < len(path):
        ch = path[i]
        if quoted:
            if ch == "\\" and i + 1 < len(path):
                current.append(path[i + 1])
                i += 2
                continue
            if ch == "`":
                quoted = False
                closed_quote = True
            else:
                current.append(ch)
        elif ch == "`":
            if current or closed_quote:
                raise FieldPathError(f"Invalid field path: {path}")
            quoted = True
        elif ch == ".":
            if not current and not closed_quote:
                raise FieldPathError(f"Invalid field path: {path}")
            segments.append("".join(current))
            current = []
            closed_quote = False
        else:
            if closed_quote:
                raise FieldPathError(f"Invalid field path: {path}")
            current.append(ch)
        i += 1
    if quoted or (not current and not closed_quote):
        raise FieldPathError(f"Invalid field path: {path}")
    segments.append("".join(current))
    return tuple(segments)


def get(fields: Any, segments: tuple[str, ...]) -> Any | None:
    """The value at ``segments`` inside a protobuf ``map<string, Value>``, or None."""
    return get_field_by_segments(fields, segments)


def set_value(fields: Any, segments: tuple[str, ...], value: Any) -> None:
    """Set ``segments`` to ``value``, creating (or replacing non-map) intermediate maps."""
    current = fields
    for segment in segments[:-1]:
        child = current[segment]
        if child.WhichOneof("value_type") != "map_value":
            child.Clear()
            child.map_value.SetInParent()
        current = child.map_value.fields
    current[segments[-1]].CopyFrom(value)


def delete(fields: Any, segments: tuple[str, ...]) -> None:
    """Remove ``segments`` if present; a missing path is not an error."""
    current = fields
    for segment in segments[:-1]:
        if segment not in current:
            return
        child = current[segment]
        if child.WhichOneof("value_type") != "map_value":
            return
        current = child.map_value.fields
    if segments[-1] in current:
        del current[segments[-1]]


def project(fields: Any, paths: Iterable[tuple[str, ...]], target: Any) -> None:
    """Copy only ``paths`` of ``fields`` into ``target`` (a DocumentMask applied to a read)."""
    for segments in paths:
        value = get(fields, segments)
        if value is not None:
            set_value(target, segments, value)


def new_document(name: str) -> Any:
    document = protos.Document()
    document.name = name
    return document
