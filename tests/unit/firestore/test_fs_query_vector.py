"""find_nearest: exact nearest-neighbour search after the other query stages."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.cloud.firestore_v1.vector import Vector
from localcloud.firestore.query import QueryError, execute_query
from test_fs_query_builders import ROOT, QueryPb, doc, field, ids, make_query, val

Measure = QueryPb.FindNearest.DistanceMeasure

DOCS = [
    doc("c/origin", {"v": Vector([0.0, 0.0]), "kind": "a"}),
    doc("c/east", {"v": Vector([1.0, 0.0]), "kind": "b"}),
    doc("c/far-east", {"v": Vector([3.0, 0.0]), "kind": "a"}),
    doc("c/north", {"v": Vector([0.0, 2.0]), "kind": "a"}),
    doc("c/three-d", {"v": Vector([1.0, 0.0, 0.0]), "kind": "a"}),
    doc("c/plain-array", {"v": [1.0, 0.0], "kind": "a"}),
    doc("c/none", {"kind": "a"}),
]


def nearest_query(
    target: list[float],
    measure: int,
    limit: int = 10,
    *,
    threshold: float | None = None,
    result_field: str | None = None,
    **query_args: Any,
) -> Any:
    q = make_query(**query_args)
    q.find_nearest.vector_field.field_path = "v"
    q.find_nearest.query_vector.CopyFrom(val(Vector(target)))
    q.find_nearest.distance_measure = measure
    q.find_nearest.limit.value = limit
    if threshold is not None:
        q.find_nearest.distance_threshold.value = threshold
    if result_field is not None:
        q.find_nearest.distance_result_field = result_field
    return q


def test_euclidean_ranks_closest_first_and_skips_other_dimensions_and_non_vectors() -> None:
    assert ids(nearest_query([0.9, 0.2], Measure.EUCLIDEAN), DOCS) == ["east", "origin", "north", "far-east"]


def test_limit_and_threshold_cut_the_ranking() -> None:
    assert ids(nearest_query([0.0, 0.0], Measure.EUCLIDEAN, limit=2), DOCS) == ["origin", "east"]
    assert ids(nearest_query([0.0, 0.0], Measure.EUCLIDEAN, threshold=2.0), DOCS) == [
        "origin",
        "east",
        "north",
    ]


def test_dot_product_ranks_largest_first_and_keeps_values_above_the_threshold() -> None:
    assert ids(nearest_query([1.0, 1.0], Measure.DOT_PRODUCT), DOCS) == [
        "far-east",
        "north",
        "east",
        "origin",
    ]
    assert ids(nearest_query([1.0, 1.0], Measure.DOT_PRODUCT, threshold=1.5), DOCS) == ["far-east", "north"]


def test_cosine_ignores_magnitude_and_skips_zero_vectors() -> None:
    assert ids(nearest_query([5.0, 0.1], Measure.COSINE), DOCS) == ["east", "far-east", "north"]


def test_filters_run_before_the_vector_search() -> None:
    query = nearest_query([1.0, 0.0], Measure.EUCLIDEAN, where=field("kind", "==", "a"))
    assert ids(query, DOCS) == ["origin", "far-east", "north"]


def test_the_distance_is_written_to_the_result_field_without_touching_stored_documents() -> None:
    results = execute_query(nearest_query([0.0, 0.0], Measure.EUCLIDEAN, result_field="dist"), ROOT, DOCS)
    assert [r.fields["dist"].double_value for r in results] == [0.0, 1.0, 2.0, 3.0]
    assert all("dist" not in d.fields for d in DOCS)


def test_the_distance_field_survives_a_projection() -> None:
    query = nearest_query([0.0, 0.0], Measure.EUCLIDEAN, limit=1, result_field="dist", select=["kind"])
    (result,) = execute_query(query, ROOT, DOCS)
    assert set(result.fields) == {"kind", "dist"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda q: q.find_nearest.limit.ClearField("value"), "limit"),
        (lambda q: setattr(q.find_nearest.limit, "value", 1001), "limit"),
        (lambda q: q.find_nearest.query_vector.CopyFrom(val([1.0, 2.0])), "vector value"),
        (lambda q: setattr(q.find_nearest, "distance_measure", 0), "distance_measure"),
        (lambda q: q.find_nearest.vector_field.ClearField("field_path"), "vector_field"),
    ],
)
def test_invalid_vector_queries_are_rejected(change: Any, message: str) -> None:
    query = nearest_query([1.0, 0.0], Measure.EUCLIDEAN)
    change(query)
    with pytest.raises(QueryError, match=message):
        execute_query(query, ROOT, DOCS)


def test_cosine_with_a_zero_query_vector_is_rejected() -> None:
    with pytest.raises(QueryError, match="COSINE"):
        execute_query(nearest_query([0.0, 0.0], Measure.COSINE), ROOT, DOCS)


def test_euclidean_distance_is_exact() -> None:
    (result,) = execute_query(
        nearest_query([3.0, 4.0], Measure.EUCLIDEAN, limit=1, result_field="d"), ROOT, [DOCS[0]]
    )
    assert math.isclose(result.fields["d"].double_value, 5.0)
