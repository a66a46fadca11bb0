"""Errors under /api/ as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, default_exceptions

from app.errors import DomainError

PROBLEM_MIMETYPE = "application/problem+json"
API_PATH_PREFIX = "/api/"
# RFC 6750 §3: the challenge a 401 carries, so clients know which scheme to retry with.
BEARER_REALM = 'Bearer realm="tradeline"'
INTERNAL_ERROR_DETAIL = "The server could not complete the request. The error was logged; retrying may help."


class InvalidParameter(DomainError):
    """A query parameter the API cannot use; `errors` names it for clients."""

    status = 400
    title = "Bad Request"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.errors = [{"parameter": parameter, "detail": detail}]


class InvalidBody(DomainError):
    """A request body that is not the JSON object the endpoint takes."""

    status = 400
    title = "Bad Request"


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response for the current request."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": type_,
        # RFC 9457 §4.2.1: with type about:blank the title is the status phrase.
        "title": phrase if type_ == "about:blank" else (title or phrase),
        "status": status,
        "detail": detail or phrase,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    # The id the logs carry for this request (set by app.ops), so a client can quote it to support.
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    if status == HTTPStatus.UNAUTHORIZED and "WWW-Authenticate" not in (headers or {}):
        response.headers["WWW-Authenticate"] = BEARER_REALM
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_api_request() -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def handle_domain_error(exc: DomainError) -> Response:
    """A service's refusal, with its own detail."""
    headers = {}
    if exc.status == HTTPStatus.UNAUTHORIZED:
        # RFC 6750 §3.1: no error code when no key was sent; invalid_request for a malformed header;
        # invalid_token for a key that does not work.
        error = getattr(exc, "bearer_error", "invalid_token")
        if error:
            # Header values are ASCII here, and a double quote would end the quoted string.
            description = exc.detail.replace('"', "'").encode("ascii", "replace").decode()
            challenge = f'error="{error}", error_description="{description}"'
            headers["WWW-Authenticate"] = f"{BEARER_REALM}, {challenge}"
    problem_type = getattr(exc, "problem_type", "about:blank")
    return problem(
        exc.status,
        exc.detail,
        title=exc.title,
        type_=problem_type,
        errors=getattr(exc, "errors", None),
        headers=headers,
    )


def handle_http_exception(exc: HTTPException) -> Response:
    """Flask's and Werkzeug's HTTP errors (404, 405, 400, 415...), with a detail that helps a client."""
    headers = {}
    detail = exc.description
    # Werkzeug's stock texts are written for browsers; say what an API client needs instead. A 404 is
    # "no such endpoint" only when routing failed (no url_rule): a view's abort(404) keeps its own text.
    if isinstance(exc, NotFound) and request.url_rule is None and detail == NotFound.description:
        detail = f"No API endpoint at {request.path}. GET /api/v1/openapi.json lists them."
    elif isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or [])
        headers["Allow"] = ", ".join(allowed)
        if detail == MethodNotAllowed.description:
            detail = f"{request.method} is not allowed on {request.path}; allowed: {', '.join(allowed)}."
    return problem(exc.code or 500, detail, headers=headers)


def handle_unexpected(exc: Exception) -> Response:
    """Anything else: logged in full, answered with a 500 that reveals nothing about it."""
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return problem(HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR_DETAIL)


def register_problem_handlers(bp: Blueprint) -> None:
    """Answer every error of `bp`'s views, and routing errors under /api/, as problem+json.

    Handlers on the blueprint apply to its own views only, so the admin keeps its HTML error pages. They are
    registered per status code as well as per class because Flask prefers a code handler on the app (an HTML
    404 page, say) over a class handler on the blueprint. Routing errors (unknown path, wrong method) happen
    before any blueprint is chosen, so one app-level handler covers them, for /api/ paths only.
    """
    bp.register_error_handler(DomainError, handle_domain_error)
    for code in default_exceptions:
        bp.register_error_handler(code, handle_http_exception)
    bp.register_error_handler(HTTPException, handle_http_exception)
    bp.register_error_handler(Exception, handle_unexpected)
    bp.record_once(lambda state: _register_routing_handler(state.app))


def _register_routing_handler(app: Flask) -> None:
    # Keep whatever handler the app already had for HTTP errors, and hand non-API paths to it.
    previous = app.error_handler_spec[None][None].get(HTTPException)

    def handle_routing_error(exc: HTTPException) -> Any:
        if is_api_request():
            return handle_http_exception(exc)
        return previous(exc) if previous is not None else exc

    app.register_error_handler(HTTPException, handle_routing_error)
