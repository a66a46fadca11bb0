"""The OpenAPI 3.1 document, built from the routes themselves: each API view declares its operation.

A view registers itself by carrying `@operation(...)`; the document lists every /api/ rule of the app's
URL map whose view has one (a test fails for any /api/ rule without it). Named schemas are `Schema`
objects, referenced from operations or from other schemas, and collected into `components` on the way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from flask import Flask

from app.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.api.problems import API_PATH_PREFIX, PROBLEM_MIMETYPE

F = TypeVar("F", bound=Callable[..., Any])

OPENAPI_VERSION = "3.1.0"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
# Flask converters to JSON Schema, for path parameters.
CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "default": {"type": "string"},
    "string": {"type": "string"},
    "path": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
RULE_VARIABLE_RE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Schema:
    """A named JSON Schema, emitted once under components/schemas and referenced by `$ref`."""

    name: str
    definition: dict[str, Any]

    @property
    def ref(self) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{self.name}"}


@dataclass(frozen=True)
class Operation:
    """What the document says about one view."""

    summary: str
    response: Schema | dict[str, Any] | None = None
    many: bool = False
    wrap: bool = True
    status: int = 200
    description: str | None = None
    request_body: Schema | dict[str, Any] | None = None
    parameters: tuple[dict[str, Any], ...] = ()
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = field(default=())


def operation(summary: str, **details: Any) -> Callable[[F], F]:
    """Declare a view's OpenAPI operation (see `Operation` for the details it takes)."""
    op = Operation(summary=summary, **details)

    def decorate(view: F) -> F:
        view.openapi_operation = op  # type: ignore[attr-defined]
        return view

    return decorate


PROBLEM = Schema(
    "Problem",
    {
        "type": "object",
        "description": "RFC 9457 problem details; every error under /api/ is one (application/problem+json).",
        "required": ["type", "title", "status", "detail", "instance"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "examples": ["about:blank"]},
            "title": {"type": "string", "examples": ["Unauthorized"]},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What went wrong, for a person to read."},
            "instance": {"type": "string", "format": "uri-reference", "description": "The request path."},
            "request_id": {"type": "string", "description": "The id of this request in the server's logs."},
            "errors": {
                "type": "array",
                "description": "The individual fields or parameters at fault.",
                "items": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {
                        "parameter": {"type": "string", "description": "a query parameter"},
                        "pointer": {"type": "string", "description": "a JSON Pointer into the body"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
)

LIST_ENVELOPE = Schema(
    "ListEnvelope",
    {
        "type": "object",
        "description": "One page of a list; pass next_cursor as `cursor` for the next (null: the last page).",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array"},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
)

PAGE_PARAMETERS: tuple[dict[str, Any], ...] = (
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Items per page, 1 to {MAX_LIMIT}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The next_cursor of the previous page, unchanged; omit for the first page.",
        "schema": {"type": "string"},
    },
)

ERROR_DESCRIPTIONS = {
    400: "The request's parameters or body are unusable.",
    401: "The API key is missing, malformed, unknown or revoked.",
    403: "The key's shop has uninstalled Tradeline.",
    404: "No such resource for this shop.",
    409: "The request conflicts with the resource's current state.",
    415: "The body is not application/json.",
    422: "The body is well-formed but its values are not acceptable.",
}


def build_openapi(app: Flask, *, server_url: str) -> dict[str, Any]:
    """The OpenAPI document of every /api/ route of `app` that declares its operation."""
    schemas: dict[str, dict[str, Any]] = {}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PATH_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        op: Operation | None = getattr(view, "openapi_operation", None)
        if op is None:
            continue
        path, path_parameters = _openapi_path(rule.rule)
        methods = sorted((rule.methods or set()) - IGNORED_METHODS)
        for method in methods:
            secured = bool(getattr(view, "api_key_required", False))
            paths.setdefault(path, {})[method.lower()] = _operation_object(
                op, rule.endpoint, method, path_parameters, secured, schemas
            )
    _collect(PROBLEM, schemas)
    _collect(LIST_ENVELOPE, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Tradeline API",
            "version": _package_version(),
            "description": (
                "Read and write a shop's Tradeline CRM data. Authenticate with a per-shop API key "
                "(`tradeline api-keys create DOMAIN`) sent as `Authorization: Bearer <key>`. Errors are "
                "RFC 9457 problem details; lists are cursor-paginated."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A shop's key, `tl_<prefix>_<secret>`, from `tradeline api-keys create`.",
                }
            },
            "responses": {
                "Problem": {
                    "description": "An error, as RFC 9457 problem details.",
                    "content": {PROBLEM_MIMETYPE: {"schema": PROBLEM.ref}},
                }
            },
        },
    }


def _operation_object(
    op: Operation,
    endpoint: str,
    method: str,
    path_parameters: list[dict[str, Any]],
    secured: bool,
    schemas: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    body: dict[str, Any] = {"summary": op.summary, "operationId": _operation_id(endpoint, method)}
    if op.description:
        body["description"] = op.description
    if op.tags:
        body["tags"] = list(op.tags)
    parameters = [*path_parameters, *(PAGE_PARAMETERS if op.many else ()), *op.parameters]
    if parameters:
        body["parameters"] = parameters
    if op.request_body is not None:
        body["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _collect(op.request_body, schemas)}},
        }
    body["responses"] = {
        str(op.status): _success_response(op, schemas),
        **{str(code): _problem_response(code) for code in _error_codes(op, secured, path_parameters)},
        "default": {"$ref": "#/components/responses/Problem"},
    }
    # Routes without the decorator are public (the document itself); say so, overriding the global default.
    body["security"] = [{"bearerAuth": []}] if secured else []
    return body


def _success_response(op: Operation, schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if op.response is None:
        return {"description": "Done." if op.status == 204 else "OK."}
    item = _collect(op.response, schemas)
    if not op.wrap:
        schema = item
    elif op.many:
        schema = {"allOf": [_collect(LIST_ENVELOPE, schemas), {"properties": {"data": {"items": item}}}]}
    else:
        schema = {"type": "object", "required": ["data"], "properties": {"data": item}}
    return {"description": "OK.", "content": {"application/json": {"schema": schema}}}


def _error_codes(op: Operation, secured: bool, path_parameters: list[dict[str, Any]]) -> list[int]:
    codes = set(op.errors)
    if secured:
        codes |= {401, 403}
    if op.many or op.request_body is not None:
        codes.add(400)
    if path_parameters:
        codes.add(404)
    if op.request_body is not None:
        codes |= {415, 422}
    return sorted(codes)


def _problem_response(code: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS.get(code, "An error."),
        "content": {PROBLEM_MIMETYPE: {"schema": PROBLEM.ref}},
    }


def _collect(value: Any, schemas: dict[str, dict[str, Any]]) -> Any:
    """`value` with every Schema replaced by its $ref, each Schema's definition added to `schemas`."""
    if isinstance(value, Schema):
        if value.name not in schemas:
            schemas[value.name] = {}  # placeholder: a schema may refer to itself
            schemas[value.name] = _collect(value.definition, schemas)
        return value.ref
    if isinstance(value, dict):
        return {key: _collect(item, schemas) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_collect(item, schemas) for item in value]
    return value


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """`/api/v1/quotes/<int:quote_id>` -> `/api/v1/quotes/{quote_id}` and its path parameter."""
    parameters = []
    for match in RULE_VARIABLE_RE.finditer(rule):
        converter = match.group("converter") or "default"
        parameters.append(
            {
                "name": match.group("name"),
                "in": "path",
                "required": True,
                "schema": CONVERTER_SCHEMAS.get(converter, {"type": "string"}),
            }
        )
    return RULE_VARIABLE_RE.sub(lambda m: "{" + m.group("name") + "}", rule), parameters


def _operation_id(endpoint: str, method: str) -> str:
    # Endpoints are unique per rule; a rule with several methods gets one id per method.
    base = endpoint.replace(".", "_")
    return base if method in {"GET"} else f"{base}_{method.lower()}"


def _package_version() -> str:
    try:
        return version("tradeline")
    except PackageNotFoundError:
        return "0.0.0"
