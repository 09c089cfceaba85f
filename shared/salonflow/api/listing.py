"""List endpoints: enum and date-range filters, stable order, opaque page tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, Literal

from salonflow.api.http import ApiError, ApiRequest, ApiResponse
from salonflow.api.pagination import next_page_token, page_request


@dataclass(frozen=True)
class ListSpec:
    """How one collection is listed: which query parameters filter which fields."""

    enum_filters: Mapping[str, tuple[str, type[StrEnum]]] = field(default_factory=dict)
    text_filters: Mapping[str, str] = field(default_factory=dict)
    time_field: str = "created_at"
    direction: Literal["ASCENDING", "DESCENDING"] = "DESCENDING"

    @property
    def query_params(self) -> tuple[str, ...]:
        return (*self.enum_filters, *self.text_filters, "from", "to", "page_size", "page_token")


def parse_instant(raw: str, name: str, *, end_of_day: bool = False) -> datetime:
    """Accept an RFC 3339 instant or a plain date (the whole UTC day)."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as error:
        raise ApiError(400, "invalid_parameter", f"{name} must be an ISO 8601 date or date-time") from error
    if parsed.tzinfo is None:
        raise ApiError(400, "invalid_parameter", f"{name} must carry a timezone offset")
    return parsed


def _enum_value(raw: str, name: str, enum: type[StrEnum]) -> StrEnum:
    try:
        return enum(raw)
    except ValueError as error:
        allowed = [member.value for member in enum]
        raise ApiError(400, "invalid_parameter", f"{name} must be one of {allowed}", {"allowed": allowed}) from error


def collect_filters(
    request: ApiRequest, spec: ListSpec, fixed: Sequence[tuple[str, str, Any]] = ()
) -> tuple[list[tuple[str, str, Any]], dict[str, Any]]:
    filters = list(fixed)
    described: dict[str, Any] = {f"{path}{op}": value for path, op, value in fixed}
    for param, (field_path, enum) in spec.enum_filters.items():
        raw = request.query_value(param)
        if raw is not None:
            filters.append((field_path, "==", _enum_value(raw, param, enum)))
            described[param] = raw
    for param, field_path in spec.text_filters.items():
        raw = request.query_value(param)
        if raw is not None:
            filters.append((field_path, "==", raw))
            described[param] = raw
    for param, op, end in (("from", ">=", False), ("to", "<=", True)):
        raw = request.query_value(param)
        if raw is not None:
            filters.append((spec.time_field, op, parse_instant(raw, param, end_of_day=end)))
            described[param] = raw
    return filters, described


def list_page(repository: Any, request: ApiRequest, spec: ListSpec,
              fixed: Sequence[tuple[str, str, Any]] = ()) -> ApiResponse:
    filters, described = collect_filters(request, spec, fixed)
    page = page_request(request, described)
    start_after = None
    if page.after is not None:
        start_after = {spec.time_field: parse_instant(str(page.after[0]), "page_token"), "__name__": str(page.after[1])}
    items = repository.query(
        filters,
        order_by=[(spec.time_field, spec.direction), ("__name__", spec.direction)],
        limit=page.size + 1,
        start_after=start_after,
    )
    token = None
    if len(items) > page.size:
        items = items[: page.size]
        last = items[-1]
        token = next_page_token([_dotted(last, spec.time_field).isoformat(), last.document_id], page.fingerprint)
    return ApiResponse(200, {"items": [item.model_dump(mode="json") for item in items], "next_page_token": token})


def _dotted(model: Any, path: str) -> Any:
    value = model
    for part in path.split("."):
        value = getattr(value, part)
    return value


NEWEST_FIRST: tuple[tuple[str, Literal["ASCENDING", "DESCENDING"]], ...] = (("created_at", "DESCENDING"),)


def counts_by(repository: Any, filters: Sequence[tuple[str, str, Any]], field_path: str,
              values: Sequence[StrEnum]) -> dict[str, int]:
    """How many documents match `filters` for each value of `field_path`, by aggregation queries: exact
    however many documents there are, billed per 1,000 index entries read rather than per document.
    Ordered newest first like the lists, so the lists' indexes serve them."""
    counts = {value.value: repository.count([*filters, (field_path, "==", value)], order_by=NEWEST_FIRST)
              for value in values}
    return {value: n for value, n in counts.items() if n}


STATS_QUERY_EXCLUDES = ("page_size", "page_token")


def stats_params(spec: ListSpec) -> tuple[str, ...]:
    """A summary's parameters: the list's filters, without its paging (a summary is one answer)."""
    return tuple(p for p in spec.query_params if p not in STATS_QUERY_EXCLUDES)
