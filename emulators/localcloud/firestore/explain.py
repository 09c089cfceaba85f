"""Query explain metrics (``explain_options``): the index a query would use and what running it cost.

Firestore reports the composite index it used as ``(field ASC, …, __name__ ASC)``; the emulator has no
indexes, so it names the index a query *would* need: equality fields first, then the ordering
(explicit orders, then inequality fields), then ``__name__``, then a vector field for nearest-neighbour
searches.
"""

from __future__ import annotations

from typing import Any

_ASCENDING = 1
_DESCENDING = 2
_EQUALITY_OPS = {5, 8}  # EQUAL, IN
_ARRAY_OPS = {7, 9}  # ARRAY_CONTAINS, ARRAY_CONTAINS_ANY
_UNARY_EQUALITY = {3, 2}  # IS_NULL, IS_NAN


def _filters(where: Any) -> list[tuple[str, int, bool]]:
    """(field path, operator, is unary) for every leaf filter, in order."""
    kind = where.WhichOneof("filter_type")
    if kind == "composite_filter":
        leaves: list[tuple[str, int, bool]] = []
        for child in where.composite_filter.filters:
            leaves.extend(_filters(child))
        return leaves
    if kind == "field_filter":
        return [(where.field_filter.field.field_path, where.field_filter.op, False)]
    if kind == "unary_filter":
        return [(where.unary_filter.field.field_path, where.unary_filter.op, True)]
    return []


def index_properties(query: Any, aggregated: tuple[str, ...] = ()) -> str:
    """``aggregated`` are SUM/AVG fields: Firestore scans their index, ordered after explicit orders."""
    parts: list[str] = []
    seen: set[str] = set()
    leaves = _filters(query.where) if query.HasField("where") else []
    ordered = {order.field.field_path for order in query.order_by}
    for path, op, unary in leaves:
        equality = (op in _UNARY_EQUALITY) if unary else (op in _EQUALITY_OPS)
        if path in seen or path == "__name__" or path in ordered:
            continue
        if equality:
            parts.append(f"{path} ASC")
            seen.add(path)
        elif not unary and op in _ARRAY_OPS:
            parts.append(f"{path} ARRAY_CONTAINS")
            seen.add(path)
    direction = "ASC"
    for order in query.order_by:
        direction = "DESC" if order.direction == _DESCENDING else "ASC"
        path = order.field.field_path
        if path not in seen and path != "__name__":
            parts.append(f"{path} {direction}")
            seen.add(path)
    for path in aggregated:
        if path not in seen and path != "__name__":
            parts.append(f"{path} {direction}")
            seen.add(path)
    for path, _op, _unary in leaves:
        if path not in seen and path != "__name__":
            parts.append(f"{path} {direction}")
            seen.add(path)
    parts.append(f"__name__ {direction}")
    if query.HasField("find_nearest"):
        nearest = query.find_nearest
        vector = nearest.query_vector.map_value.fields.get("value")
        dimension = len(vector.array_value.values) if vector is not None else 0
        parts.append(f"{nearest.vector_field.field_path} VECTOR<{dimension}>")
    return "(" + ", ".join(parts) + ")"


def aggregated_fields(aggregation: Any) -> tuple[str, ...]:
    """The field of every SUM and AVG in a structured aggregation query, in order."""
    paths: list[str] = []
    for item in aggregation.aggregations:
        kind = item.WhichOneof("operator")
        if kind in ("sum", "avg"):
            paths.append(getattr(item, kind).field.field_path)
    return tuple(paths)


def fill_plan(metrics: Any, query: Any, aggregated: tuple[str, ...] = ()) -> None:
    sources = query.from_
    group = any(source.all_descendants for source in sources)
    index = metrics.plan_summary.indexes_used.add()
    index.update(
        {
            "query_scope": "Collection group" if group else "Collection",
            "properties": index_properties(query, aggregated),
        }
    )


def fill_stats(metrics: Any, *, results: int, reads: int, scanned: int, seconds: float) -> None:
    stats = metrics.execution_stats
    stats.results_returned = results
    stats.read_operations = reads
    micros = max(1, int(seconds * 1_000_000))
    stats.execution_duration.seconds = micros // 1_000_000
    stats.execution_duration.nanos = (micros % 1_000_000) * 1000
    stats.debug_stats.update(
        {
            "billing_details": {
                "documents_billable": str(reads),
                "index_entries_billable": "0",
                "small_ops": "0",
                "min_query_cost": "0" if reads else "1",
            },
            "documents_scanned": str(results),
            "index_entries_scanned": str(scanned),
        }
    )
