"""API key authentication: `Authorization: Bearer <key>` on every /api/v1 route but the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from app import services
from app.apikeys import authenticate_request, record_use
from app.db import UnitOfWork
from app.errors import Unauthorized

F = TypeVar("F", bound=Callable[..., Any])

MISSING_KEY_DETAIL = "Authentication required: send the shop's API key as `Authorization: Bearer <key>`."


class MissingCredentials(Unauthorized):
    """No Authorization header: the challenge carries no error code (RFC 6750 §3.1)."""

    bearer_error = None


class MalformedCredentials(Unauthorized):
    """An Authorization header that is not `Bearer <key>`."""

    bearer_error = "invalid_request"


def bearer_token(header: str | None) -> str:
    """The key in an `Authorization: Bearer <key>` header, else Unauthorized saying what is wrong."""
    if not header or not header.strip():
        raise MissingCredentials(MISSING_KEY_DETAIL)
    scheme, _, token = header.strip().partition(" ")
    # RFC 9110 §11.1: the scheme name is case-insensitive.
    if scheme.lower() != "bearer":
        raise MalformedCredentials(
            f"Unsupported authorization scheme {scheme[:20]!r}: use `Authorization: Bearer <key>`."
        )
    token = token.strip()
    if not token or " " in token:
        raise MalformedCredentials(
            "The Authorization header must be `Bearer <key>`, with the key and nothing else."
        )
    return token


def api_key_required(view: F) -> F:
    """Authenticate the request's API key; the view gets `g.shop_id`, `g.api_key_id` and `request_uow()`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw_key = bearer_token(request.headers.get("Authorization"))
        # One unit of work, and usually one transaction, for the whole request: authentication has loaded
        # the key and the shop into its session; a second session would cost another connection checkout
        # and another BEGIN/ROLLBACK round trip.
        with services().db.unit_of_work() as uow:
            auth = authenticate_request(uow, raw_key)
            g.shop_id, g.api_key_id = auth.key.shop_id, auth.key.id
            # The session's identity map holds rows weakly: holding the shop for the request keeps
            # `get_shop(request_uow(), shop_id=g.shop_id)` free of a second query.
            g.api_shop = auth.shop
            if auth.use_due:
                # At most once a minute per key. End the read transaction first (SQLite cannot turn it into
                # a write while another process writes), and commit at once so a failing view keeps it.
                uow.commit()
                record_use(uow, key=auth.key)
                uow.commit()
            g.api_uow = uow
            try:
                return view(*args, **kwargs)
            finally:
                g.pop("api_uow", None)

    wrapper.api_key_required = True  # type: ignore[attr-defined]  (read by the OpenAPI builder and tests)
    return wrapper  # type: ignore[return-value]


def request_uow() -> UnitOfWork:
    """The unit of work of the current API request (rolled back at its end unless the view commits)."""
    uow = g.get("api_uow")
    if uow is None:
        raise RuntimeError("request_uow() is only available inside a view decorated with @api_key_required")
    return uow
