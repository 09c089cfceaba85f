"""The find_nearest stage of a StructuredQuery: exact (brute-force) nearest-neighbour vector search.

Firestore runs this stage after filters, ordering, cursors, offset and limit. Only documents whose
``vector_field`` holds a vector of the query vector's dimension take part. EUCLIDEAN and COSINE distances
rank ascending (smaller is more similar), DOT_PRODUCT ranks descending; a threshold keeps
``distance <= threshold`` (``>=`` for DOT_PRODUCT). Ties keep the preceding query order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from localcloud.firestore import protos
from localcloud.firestore.paths import InvalidPathError, parse_field_path
from localcloud.firestore.values import VECTOR_VALUE_KEY, get_field_by_segments, is_vector

Document = Any
ValuePb = protos.Value
DocumentPb = protos.Document
Measure = protos.StructuredQuery.FindNearest.DistanceMeasure

MAX_LIMIT = 1000
MAX_DIMENSIONS = 2048


class VectorQueryError(ValueError):
    """An invalid find_nearest stage (reported as INVALID_ARGUMENT)."""


def _floats(value: Any) -> list[float] | None:
    if not is_vector(value):
        return None
    numbers: list[float] = []
    for element in value.map_value.fields[VECTOR_VALUE_KEY].array_value.values:
        kind = element.WhichOneof("value_type")
        if kind == "double_value":
            numbers.append(element.double_value)
        elif kind == "integer_value":
            numbers.append(float(element.integer_value))
        else:
            return None
    return numbers


def _euclidean(a: Sequence[float], b: Sequence[float]) -> float | None:
    return math.sqrt(sum((x - y) * (x - y) for x, y in zip(a, b, strict=True)))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float | None:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if norm == 0.0:
        return None  # the angle to a zero vector is undefined
    return 1.0 - sum(x * y for x, y in zip(a, b, strict=True)) / norm


def _dot(a: Sequence[float], b: Sequence[float]) -> float | None:
    return sum(x * y for x, y in zip(a, b, strict=True))


_MEASURES: dict[int, Callable[[Sequence[float], Sequence[float]], float | None]] = {
    Measure.EUCLIDEAN: _euclidean,
    Measure.COSINE: _cosine,
    Measure.DOT_PRODUCT: _dot,
}


@dataclass(frozen=True)
class NearestPlan:
    segments: tuple[str, ...]
    query_vector: tuple[float, ...]
    measure: int
    limit: int
    threshold: float | None
    result_field: str | None

    @property
    def larger_is_closer(self) -> bool:
        return self.measure == Measure.DOT_PRODUCT


def compile_find_nearest(find_nearest: Any) -> NearestPlan:
    if not find_nearest.vector_field.field_path:
        raise VectorQueryError("find_nearest requires a vector_field.")
    try:
        segments = parse_field_path(find_nearest.vector_field.field_path)
    except InvalidPathError as error:
        raise VectorQueryError(str(error)) from None
    query_vector = _floats(find_nearest.query_vector)
    if query_vector is None:
        raise VectorQueryError("find_nearest requires query_vector to be a vector value.")
    if not query_vector or len(query_vector) > MAX_DIMENSIONS:
        raise VectorQueryError(f"The query vector must have between 1 and {MAX_DIMENSIONS} dimensions.")
    if find_nearest.distance_measure not in _MEASURES:
        raise VectorQueryError("find_nearest requires a distance_measure.")
    limit = find_nearest.limit.value if find_nearest.HasField("limit") else 0
    if not 0 < limit <= MAX_LIMIT:
        raise VectorQueryError(f"find_nearest limit must be a positive integer of no more than {MAX_LIMIT}.")
    if find_nearest.distance_measure == Measure.COSINE and not any(query_vector):
        raise VectorQueryError("A COSINE distance needs a query vector with a non-zero magnitude.")
    result_field = find_nearest.distance_result_field or None
    if result_field is not None:
        try:
            parse_field_path(result_field)
        except InvalidPathError as error:
            raise VectorQueryError(str(error)) from None
    threshold = find_nearest.distance_threshold.value if find_nearest.HasField("distance_threshold") else None
    return NearestPlan(
        segments=segments,
        query_vector=tuple(query_vector),
        measure=find_nearest.distance_measure,
        limit=limit,
        threshold=threshold,
        result_field=result_field,
    )


def with_distance(doc: Document, field_path: str, distance: float) -> Document:
    """A copy of ``doc`` with the distance written at ``field_path``."""
    result = DocumentPb()
    result.CopyFrom(doc)
    container = result.fields
    segments = parse_field_path(field_path)
    for segment in segments[:-1]:
        container = container[segment].map_value.fields
    container[segments[-1]].CopyFrom(ValuePb(double_value=distance))
    return result


def nearest(plan: NearestPlan, docs: list[Document]) -> list[tuple[Document, float]]:
    """The ``plan.limit`` documents closest to the query vector, closest first, with their distances."""
    measure = _MEASURES[plan.measure]
    scored: list[tuple[float, int, Document, float]] = []
    for position, doc in enumerate(docs):
        value = get_field_by_segments(doc.fields, plan.segments)
        vector = None if value is None else _floats(value)
        if vector is None or len(vector) != len(plan.query_vector):
            continue
        distance = measure(vector, plan.query_vector)
        if distance is None or math.isnan(distance):
            continue
        if plan.threshold is not None and (
            distance < plan.threshold if plan.larger_is_closer else distance > plan.threshold
        ):
            continue
        scored.append((-distance if plan.larger_is_closer else distance, position, doc, distance))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(doc, distance) for _, _, doc, distance in scored[: plan.limit]]
