"""Shopify's intake (`POST /webhooks`) as a plain WSGI handler in front of the Flask app.

Every delivery runs through here, and Flask's request machinery around a view (request context,
URL matching, hooks, the response object) cost more server CPU than the view itself: ~430 of
~1,260 µs per delivery (BENCHMARKS.md, webhook intake). The handler does what the Flask route did,
with the same service calls and answers: the request id (`app.ops`: echoed when sane, else a new
one, on the answer and on every log line), the body limit (413 before reading), refusals logged,
`DEFER_PROCESSING`, and an error logged and answered 500 (or raised where Flask would propagate it,
as under tests). Any other path or method goes to Flask (`GET /webhooks` gets its 405 there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_input_stream

from app.logging_setup import log_context
from app.ops import REQUEST_ID_HEADER, error_page, request_id_from
from webhooks import rules
from webhooks.service import intake

log = logging.getLogger(__name__)

INTAKE_PATHS = frozenset({"/webhooks"})
# Set on an app (`app.config[...] = True`) to store deliveries without enqueueing their processing;
# `webhooks.service.processing.drain` (or the sweeper) processes them later. The demo seeds this way.
DEFER_PROCESSING = "WEBHOOKS_DEFER_PROCESSING"
# Header values are not verified when the signature fails: log only this much of them.
LOGGED_HEADER_CHARS = 80
# How WSGI names the X-Shopify-* and Shopify-* request headers (rules.read_headers takes either form).
_SHOPIFY_ENVIRON_PREFIXES = ("HTTP_X_SHOPIFY_", "HTTP_SHOPIFY_")
_TEXT = ("Content-Type", "text/plain; charset=utf-8")
_HTML = ("Content-Type", "text/html; charset=utf-8")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def shopify_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's Shopify headers (X-Shopify-*, Shopify-*) by name, read straight from the WSGI environ:
    werkzeug's header view decodes every header of the request for the few the intake reads."""
    return {
        key[5:].replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith(_SHOPIFY_ENVIRON_PREFIXES)
    }


class IntakeDispatcher:
    """WSGI middleware: `POST` to an intake path is answered here, everything else by `wsgi_app`."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in INTAKE_PATHS or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        with log_context(request_id=request_id), self.app.app_context():
            try:
                status, detail = receive(self.app, environ)
                content_type, body = _TEXT, detail.encode()
            except RequestEntityTooLarge as exc:
                status, content_type, body = exc.code or 413, _HTML, exc.get_body(environ).encode()
            except Exception:
                if self._propagate():
                    raise
                # Flask's own line for an error in a view (Flask.log_exception).
                self.app.logger.error("Exception on %s [POST]", environ.get("PATH_INFO"), exc_info=True)
                detail = "Something went wrong on our side. It has been logged."
                page = error_page(500, "Internal server error", detail, request_id)
                status, content_type, body = 500, _HTML, page.encode()
        start_response(
            f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}",
            [content_type, ("Content-Length", str(len(body))), (REQUEST_ID_HEADER, request_id)],
        )
        return [body]

    def _propagate(self) -> bool:
        """Whether Flask would let the error out of the app (testing or debug), as it does for its views."""
        configured = self.app.config.get("PROPAGATE_EXCEPTIONS")
        return bool(configured) if configured is not None else self.app.testing or self.app.debug


def receive(app: Flask, environ: dict[str, Any]) -> tuple[int, str]:
    """Take a Shopify delivery: check its signature, store it once, enqueue its processing; the status
    and text to answer (RequestEntityTooLarge raised for a body over the limit, before it is read)."""
    services = app.extensions["tradeline"]
    body = get_input_stream(environ, max_content_length=intake.MAX_BODY_BYTES).read()
    headers = rules.read_headers(shopify_headers(environ))
    if not headers.hmac:
        return 400, "Missing header: X-Shopify-Hmac-Sha256"
    if not rules.verify_hmac(body, headers.hmac, services.settings.shopify_secrets):
        log.warning(
            "webhook refused: invalid HMAC (topic %r, shop %r)",
            (headers.topic or "")[:LOGGED_HEADER_CHARS],
            (headers.shop_domain or "")[:LOGGED_HEADER_CHARS],
        )
        return 401, "Invalid HMAC"
    missing = headers.missing()
    if missing:
        return 400, "Missing header(s): " + ", ".join(missing)
    too_long = headers.too_long()
    if too_long:
        return 400, "Header(s) too long: " + ", ".join(too_long)
    receipt = intake.receive(
        services.db, headers=headers, body=body, enqueue=not app.config.get(DEFER_PROCESSING)
    )
    return receipt.status, receipt.detail
