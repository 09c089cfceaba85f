"""Assemble the ``/autonomous`` API and dispatch one request through auth, routing and errors."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from salonflow.api import agents, analytics, approvals, decisions, gaps, outreach
from salonflow.api.auth import TokenVerifier, authenticate, authorize
from salonflow.api.context import ApiDeps
from salonflow.api.http import ApiError, ApiRequest, ApiResponse, RouteContext, Router
from salonflow.api.openapi import build_openapi

log = logging.getLogger("salonflow.api")

OPENAPI_PATH = "/autonomous/openapi.json"
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


class AutonomousApi:
    def __init__(self, deps: ApiDeps, verify: TokenVerifier) -> None:
        self.router = build_router(deps)
        self._verify = verify

    def handle(self, request: ApiRequest) -> ApiResponse:
        try:
            if request.method == "GET" and request.path.rstrip("/") == OPENAPI_PATH:
                return ApiResponse(200, openapi_document(self.router))
            route, params = self.router.match(request.method, request.path)
            caller = authenticate(request, self._verify)
            salon_id = request.query_value("salon_id") or ""
            role = authorize(caller, salon_id, route.min_role)
            return route.handler(RouteContext(request=request, params=params, salon_id=salon_id,
                                              uid=caller.uid, role=role))
        except ApiError as error:
            return error.response()
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return ApiError(500, "internal", "internal error").response()
