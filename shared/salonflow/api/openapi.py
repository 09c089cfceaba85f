"""OpenAPI 3.1 document built from the router itself, so it cannot drift from the implementation."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from salonflow.api.http import Router

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
        }
    },
}


def build_openapi(router: Router, *, title: str, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for route in router.routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": _operation_id(route.method, route.template),
            "parameters": _parameters(route.template, route.query_params) + [
                {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
                for name in route.header_params],
            "security": [{"firebaseIdToken": []}],
            "x-min-role": route.min_role.value,
            "responses": {
                "200": _success(route.response_model, route.list_response, components),
                **{code: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                   for code, text in (("400", "Bad request"), ("401", "Not authenticated"), ("403", "Forbidden"),
                                      ("404", "Not found"), ("422", "Validation failed"))},
            },
        }
        if route.request_model is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(route.request_model, components)}},
            }
        paths.setdefault(route.template, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"firebaseIdToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation_id(method: str, template: str) -> str:
    words = re.sub(r"[{}]", "", template).strip("/").replace("-", "_").split("/")
    return method.lower() + "_" + "_".join(words)


def _parameters(template: str, query_params: tuple[str, ...]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)\}", template)
    ]
    params.append({"name": "salon_id", "in": "query", "required": True, "schema": {"type": "string"}})
    params.extend({"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                  for name in query_params)
    return params


def _ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _success(model: type[BaseModel] | None, is_list: bool, components: dict[str, Any]) -> dict[str, Any]:
    if model is None:
        return {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    item = _ref(model, components)
    schema = item if not is_list else {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": item},
                       "next_page_token": {"type": ["string", "null"]}},
    }
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}
