"""API key authentication: `Authorization: Bearer <key>` on every /api/v1 route but the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from app import services
from app.apikeys import ApiCaller, ApiShop, authenticate_cached, remember_key_use
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
    """Authenticate the API key; the view gets `current_api_shop()`, `request_uow()` and `g.shop_id`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw_key = bearer_token(request.headers.get("Authorization"))
        db = services().db
        # One statement on a read connection outside any unit of work (on PostgreSQL one round trip, where
        # a session would add BEGIN and ROLLBACK), or none while this process's cache holds the key: a
        # revoked key or an uninstalled shop empties that cache as it commits (app/auth_cache.py).
        caller = authenticate_cached(db, raw_key)
        if caller.use_due:
            # At most once a minute per key, committed at once in a transaction of its own, so a failing
            # view keeps it (and on SQLite the write is its transaction's first statement).
            remember_key_use(db, caller)
        g.shop_id, g.api_key_id, g.api_caller = caller.shop.id, caller.key_id, caller
        try:
            return view(*args, **kwargs)
        finally:
            # `g` lives as long as the app context, which a test may share between requests.
            del g.api_caller
            request_unit = g.pop("api_uow", None)
            if request_unit is not None:
                request_unit.__exit__(None, None, None)

    wrapper.api_key_required = True  # type: ignore[attr-defined]  (read by the OpenAPI builder and tests)
    return wrapper  # type: ignore[return-value]


def _caller(accessor: str) -> ApiCaller:
    caller: ApiCaller | None = g.get("api_caller")
    if caller is None:
        raise RuntimeError(f"{accessor} is only available inside a view decorated with @api_key_required")
    return caller


def current_api_shop() -> ApiShop:
    """The shop of the current API request's key, as authenticated (no query)."""
    return _caller("current_api_shop()").shop


def request_uow() -> UnitOfWork:
    """The unit of work of the current API request (rolled back at its end unless the view commits).

    Opened on first use, so a view that needs only `current_api_shop()` touches the database once.
    """
    uow: UnitOfWork | None = g.get("api_uow")
    if uow is None:
        _caller("request_uow()")
        uow = g.api_uow = services().db.unit_of_work().__enter__()
    return uow
