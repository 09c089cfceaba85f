"""Assemble the ``/autonomous`` API and dispatch one request through auth, routing and errors."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import cache
from typing import Any

from salonflow.api import agents, analytics, approvals, decisions, gaps, outreach
from salonflow.api.auth import TokenVerifier, authenticate, authorize
from salonflow.api.context import ApiDeps
from salonflow.api.http import ApiError, ApiRequest, ApiResponse, RouteContext, Router, not_found
from salonflow.api.openapi import build_openapi

log = logging.getLogger("salonflow.api")

PREFIX = "/autonomous"
OPENAPI_PATH = PREFIX + "/openapi.json"
API_VERSION = "1.0.0"


def build_router(deps: ApiDeps) -> Router:
    router = Router()
    for module in (decisions, agents, approvals, gaps, outreach, analytics):
        for route in module.routes(deps):
            router.add(route)
    return router


@cache
def openapi_document(router: Router) -> dict[str, Any]:
    return build_openapi(router, title="Salon Flow autonomous agents API", version=API_VERSION)


def function_relative(request: ApiRequest) -> ApiRequest:
    """The routes live under ``/autonomous``: Hosting's rewrite keeps that prefix in the path, while the
    function's own URL (``…/autonomous``) already names it and passes the rest. Both reach the same route."""
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        return request
    return replace(request, path=PREFIX + (request.path if request.path.startswith("/") else "/" + request.path))


class AutonomousApi:
    def __init__(self, deps: ApiDeps, verify: TokenVerifier) -> None:
        self.router = build_router(deps)
        self._verify = verify
        self._deps = deps

    def handle(self, request: ApiRequest) -> ApiResponse:
        request = function_relative(request)
        try:
            if request.method == "GET" and request.path.rstrip("/") == OPENAPI_PATH:
                return ApiResponse(200, openapi_document(self.router))
            route, params = self.router.match(request.method, request.path)
            caller = authenticate(request, self._verify)
            salon_id = request.query_value("salon_id") or ""
            role = authorize(caller, salon_id, route.min_role)
            # A member's token may name a salon that does not exist (deleted, or a typo in the claim):
            # that is a missing resource, not an empty one.
            if not self._deps.firestore().collection("salons").document(salon_id).get(field_paths=["name"]).exists:
                raise not_found("salon")
            return route.handler(RouteContext(request=request, params=params, salon_id=salon_id,
                                              uid=caller.uid, role=role))
        except ApiError as error:
            return error.response()
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return ApiError(500, "internal", "internal error").response()
