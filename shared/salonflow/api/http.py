"""Request, response, errors and routing for the HTTP API.

Kept free of Flask so the same handlers serve the Cloud Function, tests and the OpenAPI document.
Every error leaves as ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from salonflow.domain.enums import SalonRole

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        if not self.body:
            raise ApiError(400, "invalid_body", "a JSON body is required")
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise ApiError(400, "invalid_json", f"body is not valid JSON: {error}") from error


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body, default=str).encode()


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def response(self) -> ApiResponse:
        return ApiResponse(self.status, {"error": {"code": self.code, "message": self.message,
                                                   "details": self.details}})


def not_found(what: str) -> ApiError:
    # Another salon's object answers exactly like a missing one: no existence leak.
    return ApiError(404, "not_found", f"{what} not found")


def parse_model(model: type[ModelT], payload: Any) -> ModelT:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        details = [
            {"loc": ".".join(str(part) for part in item["loc"]), "msg": item["msg"], "type": item["type"]}
            for item in error.errors(include_url=False, include_context=False)
        ]
        raise ApiError(422, "validation_failed", "the request did not validate", details) from error


@dataclass(frozen=True)
class RouteContext:
    request: ApiRequest
    params: dict[str, str]
    salon_id: str
    uid: str
    role: SalonRole


Handler = Callable[[RouteContext], ApiResponse]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    summary: str
    min_role: SalonRole = SalonRole.STAFF
    request_model: type[BaseModel] | None = None
    response_model: type[BaseModel] | None = None
    list_response: bool = False
    query_params: tuple[str, ...] = ()
    header_params: tuple[str, ...] = ()
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "regex", re.compile(pattern + "/?"))


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, route: Route) -> None:
        self.routes.append(route)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed: list[str] = []
        for route in self.routes:
            matched = route.regex.fullmatch(path)
            if matched is None:
                continue
            if route.method == method:
                return route, matched.groupdict()
            allowed.append(route.method)
        if allowed:
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path}", {"allowed": allowed})
        raise ApiError(404, "not_found", f"no endpoint at {path}")
