"""The one Shopify Admin GraphQL client: pinned version, cost-aware throttling, retries, typed errors.

Each attempt is one call of `shopify_app.admin_graphql_request(..., max_retries=0)` (shopifyapp 1.0.2);
the retry loop, the throttling and the error mapping are ours, because reading
`shopify_app/graphql/admin_graphql.py` shows the SDK falls short here:

1. THROTTLED is not retried. Shopify answers a throttled query with HTTP 200 and
   `errors[].extensions.code == "THROTTLED"`; the SDK returns that as a generic `graphql_errors`
   failure, with `data` and `extensions` set to None, so the cost figures needed to wait the right
   time (and any partial data next to other errors) are dropped from the result.
2. Network errors are not retried: `httpx.RequestError` is caught and returned at once as
   `network_error`, and the exception itself is discarded.
3. 429 is retried with `time.sleep(int(Retry-After))`: the module-level `time.sleep` cannot be
   injected (a test would really wait), and `int()` raises ValueError on a fractional or HTTP-date
   Retry-After. When retries run out it returns a canned 429 body without the Retry-After header.
4. Only 502/503/504 are retried, with `2**attempt` seconds plus up to 0.1 s (not full jitter, so
   workers retry in lockstep), again with the unpatchable `time.sleep`; a 500 is a plain failure.
5. The error body is discarded: the result's `response` is empty for 401 and for 5xx after retries
   and canned for 429. The real response survives only in `http_logs`, so this client reads it there.
6. No userErrors handling, no cost-based throttling, no per-attempt token (the token is a string, so a
   token refreshed during a retry is never used), and no `operationName` (so every document holds
   exactly one operation).
7. A 200 whose body is not JSON is reported as success with `data=None`.
8. The endpoint is `https://{shop}.myshopify.com/...`: it takes the store handle, not the domain.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from shopify_app import admin_graphql_request
from shopify_app.types import GQLResult, Res

from app import services
from app.db import UnitOfWork
from app.shopify.errors import (
    AccessDenied,
    GraphQLErrors,
    ShopifyError,
    ShopifyHTTPError,
    ShopifyUnavailable,
    ThrottledError,
    UserError,
    UserErrors,
    body_excerpt,
)
from app.shopify.operations import Operation, resolve_operation

# Tests and their support modules parse documents through the client's module.
from app.shopify.operations import parse_operation as parse_operation
from app.shopify.sdk import shopify_http_client
from app.shopify.throttling import COST_TRACKER, CostTracker, _cost_fields, _retry_after_s, _throttle_wait_s
from app.shops import get_shop, normalize_shop_domain

log = logging.getLogger("tradeline.shopify")

# Shopify's default cost of a mutation, and a guess for a query until its first answer tells its cost.
DEFAULT_MUTATION_COST_POINTS = 10
DEFAULT_QUERY_COST_POINTS = 50
# Full-jitter exponential backoff: sleep uniform(0, min(cap, base * 2**retry)).
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 30.0
# Top-level GraphQL error codes that mean "try again", not "your query is wrong".
THROTTLED_CODE = "THROTTLED"
TRANSIENT_GRAPHQL_CODES = frozenset({"INTERNAL_SERVER_ERROR"})

TokenProvider = Callable[[], str]


@dataclass(frozen=True)
class _Retry:
    """A failed attempt worth repeating; `error` is raised if it was the last one."""

    reason: str
    error: ShopifyError
    min_wait_s: float = 0.0
    cost: Mapping[str, Any] | None = None


class AdminClient:
    """Admin GraphQL API client for one shop; see the module docstring for why it wraps the SDK."""

    def __init__(
        self,
        shop_domain: str,
        token_provider: TokenProvider,
        *,
        api_version: str,
        http_client: httpx.Client,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        cost_tracker: CostTracker | None = None,
        owns_http_client: bool = False,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.shop_domain = normalize_shop_domain(shop_domain)
        self.api_version = api_version
        self.max_attempts = max_attempts
        self._handle = self.shop_domain.removesuffix(".myshopify.com")
        self._token_provider = token_provider
        self._http = http_client
        self._owns_http = owns_http_client
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock
        self._costs = cost_tracker if cost_tracker is not None else COST_TRACKER

    def __repr__(self) -> str:
        return f"AdminClient({self.shop_domain!r}, api_version={self.api_version!r})"

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this client created it (client_for_shop does)."""
        if self._owns_http:
            self._http.close()

    def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        expected_cost: float | None = None,
    ) -> dict[str, Any]:
        """Run a document (by name or as text) and return its `data`, retrying what is worth retrying.

        `expected_cost` (points) lets the client wait for the bucket before an expensive query; by
        default it is the document's last requested cost, else 10 for a mutation and 50 for a query.
        """
        op = resolve_operation(document)
        for attempt in range(1, self.max_attempts + 1):
            # Re-read each attempt: a THROTTLED answer tells the document's real requested cost.
            cost = expected_cost if expected_cost is not None else self._default_cost(op)
            wait_s = self._costs.wait_before(self.shop_domain, cost, self._clock())
            if wait_s > 0:
                self._log(
                    logging.INFO, "waiting for the cost bucket", op, attempt, cost=f"{cost:g}", wait_s=wait_s
                )
                self._sleep(wait_s)
            started = time.perf_counter()
            result = admin_graphql_request(
                query=op.text,
                shop=self._handle,
                # Asked on every attempt, so a token refreshed while we backed off is the one used.
                access_token=self._token_provider(),
                api_version=self.api_version,
                variables=dict(variables) if variables else None,
                max_retries=0,
                http_client=self._http,
                invalid_token_response=None,
            )
            duration_ms = round((time.perf_counter() - started) * 1000)
            try:
                outcome = self._outcome(result, op, attempt, duration_ms)
            except ShopifyError as exc:
                self._log(
                    logging.WARNING, f"failed: {type(exc).__name__}", op, attempt, duration_ms=duration_ms
                )
                raise
            if not isinstance(outcome, _Retry):
                return outcome
            if attempt == self.max_attempts:
                self._log(
                    logging.ERROR,
                    f"giving up: {outcome.reason}",
                    op,
                    attempt,
                    duration_ms=duration_ms,
                    **_cost_fields(outcome.cost),
                )
                raise outcome.error
            delay_s = max(outcome.min_wait_s, self._backoff_s(attempt))
            self._log(
                logging.WARNING,
                f"retrying: {outcome.reason}",
                op,
                attempt,
                duration_ms=duration_ms,
                wait_s=delay_s,
                **_cost_fields(outcome.cost),
            )
            self._sleep(delay_s)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _default_cost(self, op: Operation) -> float:
        last = self._costs.last_requested_cost(op.text)
        if last is not None:
            return last
        return DEFAULT_MUTATION_COST_POINTS if op.is_mutation else DEFAULT_QUERY_COST_POINTS

    def _backoff_s(self, attempt: int) -> float:
        return self._rng.uniform(0.0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))

    def _outcome(
        self, result: GQLResult, op: Operation, attempt: int, duration_ms: int
    ) -> dict[str, Any] | _Retry:
        """The data of a usable answer; a _Retry for a transient failure; raises for a final one."""
        code = result.log.code
        # The SDK keeps the real response only in its HTTP logs on several failure paths.
        raw = result.http_logs[-1].res if result.http_logs else result.response
        where = {"shop": self.shop_domain, "document": op.name}
        label = f"{op.name} on {self.shop_domain}"
        if code == "success":
            return self._success(result, op, attempt, duration_ms)
        if code == "graphql_errors":
            return self._graphql_errors(raw, op, attempt)
        if code == "unauthorized":
            raise AccessDenied(
                f"{label}: Shopify rejected the access token (HTTP 401); the app was uninstalled or the "
                "token revoked or expired",
                status=401,
                **where,
            )
        if code == "http_error_403":
            raise AccessDenied(
                f"{label}: Shopify denied access (HTTP 403), usually a missing access scope: "
                f"{body_excerpt(raw.body)}",
                status=403,
                **where,
            )
        if code == "rate_limited":
            retry_after_s = _retry_after_s(raw)
            return _Retry(
                f"HTTP 429, Retry-After {retry_after_s:g} s",
                ThrottledError(
                    f"{label}: still rate limited (HTTP 429) after {attempt} attempts",
                    retry_after_s=retry_after_s,
                    **where,
                ),
                min_wait_s=retry_after_s,
            )
        if code == "network_error":
            return _Retry(
                "network error",
                ShopifyUnavailable(f"{label}: Shopify could not be reached in {attempt} attempts", **where),
            )
        status = raw.status
        if 500 <= status <= 599:
            return _Retry(
                f"HTTP {status}",
                ShopifyUnavailable(
                    f"{label}: Shopify answered HTTP {status} on all {attempt} attempts: "
                    f"{body_excerpt(raw.body)}",
                    status=status,
                    **where,
                ),
            )
        if code.startswith("http_error_"):
            raise ShopifyHTTPError(
                f"{label}: Shopify answered HTTP {status}: {body_excerpt(raw.body)}",
                status=status,
                body=raw.body,
                **where,
            )
        # missing_shop / missing_access_token / …: the SDK refused before sending anything.
        raise ShopifyError(f"{label}: request not sent: {result.log.detail}", **where)

    def _success(self, result: GQLResult, op: Operation, attempt: int, duration_ms: int) -> dict[str, Any]:
        cost = (result.extensions or {}).get("cost")
        self._costs.observe(self.shop_domain, op.text, cost, self._clock())
        self._log(logging.INFO, "ok", op, attempt, duration_ms=duration_ms, **_cost_fields(cost))
        if not isinstance(result.data, dict):
            # The SDK calls a 200 with a non-JSON body a success; nothing usable came back.
            raise ShopifyHTTPError(
                f"{op.name} on {self.shop_domain}: HTTP {result.response.status} without GraphQL data: "
                f"{body_excerpt(result.response.body)}",
                status=result.response.status,
                body=result.response.body,
                shop=self.shop_domain,
                document=op.name,
            )
        if op.is_mutation:
            self._raise_user_errors(result.data, op)
        return result.data

    def _graphql_errors(self, raw: Res, op: Operation, attempt: int) -> _Retry:
        body = _json_object(raw.body)
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if not errors and isinstance(body.get("errors"), str | list):
            errors = [{"message": str(body["errors"])}]
        cost = (body.get("extensions") or {}).get("cost")
        self._costs.observe(self.shop_domain, op.text, cost, self._clock())
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        where = {"shop": self.shop_domain, "document": op.name}
        label = f"{op.name} on {self.shop_domain}"
        if THROTTLED_CODE in codes:
            wait_s = _throttle_wait_s(cost)
            return _Retry(
                "THROTTLED",
                ThrottledError(
                    f"{label}: still throttled after {attempt} attempts", retry_after_s=wait_s, **where
                ),
                min_wait_s=wait_s,
                cost=cost,
            )
        messages = "; ".join(str(e.get("message", e)) for e in errors[:5]) or body_excerpt(raw.body)
        if codes & TRANSIENT_GRAPHQL_CODES:
            return _Retry(
                "Shopify internal error",
                ShopifyUnavailable(f"{label}: Shopify failed on all {attempt} attempts: {messages}", **where),
                cost=cost,
            )
        data = body.get("data")
        raise GraphQLErrors(
            f"{label}: GraphQL errors: {messages}",
            errors=errors,
            data=data if isinstance(data, dict) else None,
            **where,
        )

    def _raise_user_errors(self, data: Mapping[str, Any], op: Operation) -> None:
        failed: list[tuple[str, list[UserError]]] = []
        for field_name, payload in data.items():
            entries = payload.get("userErrors") if isinstance(payload, dict) else None
            if entries:
                failed.append((field_name, [_user_error(e) for e in entries]))
        if not failed:
            return
        errors = [e for _, errs in failed for e in errs]
        mutation = failed[0][0]
        details = "; ".join(
            f"{e.field_path + ': ' if e.field_path else ''}{e.message}{f' ({e.code})' if e.code else ''}"
            for e in errors
        )
        raise UserErrors(
            f"Shopify rejected {mutation} on {self.shop_domain}: {details}",
            mutation=mutation,
            errors=errors,
            shop=self.shop_domain,
            document=op.name,
        )

    def _log(
        self,
        level: int,
        event: str,
        op: Operation,
        attempt: int,
        *,
        duration_ms: int | None = None,
        cost: str | None = None,
        available: str | None = None,
        wait_s: float | None = None,
    ) -> None:
        fields = {
            "shop": self.shop_domain,
            "document": op.name,
            "attempt": attempt,
            "cost": cost,
            "available": available,
            "duration_ms": duration_ms,
            "wait_s": None if wait_s is None else round(wait_s, 3),
        }
        # key=value text for any formatter, the same fields as attributes for a structured one.
        text = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        log.log(level, "shopify graphql %s: %s", event, text, extra=fields)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "null")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _user_error(entry: Mapping[str, Any]) -> UserError:
    path = entry.get("field")
    return UserError(
        field=tuple(str(p) for p in path) if isinstance(path, list) and path else None,
        message=str(entry.get("message", "")),
        code=entry.get("code"),
    )


def client_for_shop(uow: UnitOfWork, *, shop_id: int, token_provider: TokenProvider) -> AdminClient:
    """An AdminClient for the shop, on the pinned API version; close it (or use `with`) when done."""
    shop = get_shop(uow, shop_id=shop_id)
    settings = services().settings
    return AdminClient(
        shop.domain,
        token_provider,
        api_version=settings.SHOPIFY_API_VERSION,
        http_client=shopify_http_client(settings),
        owns_http_client=True,
    )
