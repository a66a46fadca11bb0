"""Typed errors of the Admin API client; messages name the shop and document, never a token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidInput

# Enough of a response body to see Shopify's reason, short enough for a log line.
BODY_EXCERPT_CHARS = 500


def body_excerpt(body: str | None) -> str:
    """The start of a response body, on one line, for an error message."""
    text = " ".join((body or "").split())
    return text if len(text) <= BODY_EXCERPT_CHARS else text[:BODY_EXCERPT_CHARS] + "…"


class ShopifyError(Exception):
    """Base of every error the Admin API client raises."""

    def __init__(self, message: str, *, shop: str | None = None, document: str | None = None) -> None:
        # Cooperative: UserErrors also inherits InvalidInput, whose __init__ takes the message.
        super().__init__(message)
        self.message = message
        self.shop = shop
        self.document = document

    def __str__(self) -> str:
        return self.message


class ThrottledError(ShopifyError):
    """Shopify kept throttling the request (THROTTLED or HTTP 429) until the attempts ran out."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s


class ShopifyUnavailable(ShopifyError):
    """Shopify answered 5xx, or could not be reached, on every attempt."""

    def __init__(self, message: str, *, status: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


class GraphQLErrors(ShopifyError):
    """The response carried top-level GraphQL `errors` (a bad query, a missing scope, a cost limit)."""

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[dict[str, Any]],
        data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.errors = list(errors)
        # Shopify may answer partial data next to the errors; kept for callers that can use it.
        self.data = data

    @property
    def codes(self) -> list[str]:
        """The `extensions.code` of each error that has one (THROTTLED, ACCESS_DENIED, …)."""
        return [c for e in self.errors if (c := (e.get("extensions") or {}).get("code"))]


@dataclass(frozen=True)
class UserError:
    """One entry of a mutation payload's `userErrors`."""

    field: tuple[str, ...] | None
    message: str
    code: str | None = None

    @property
    def field_path(self) -> str | None:
        """The input path joined with dots, as in `input.email`."""
        return ".".join(self.field) if self.field else None


class UserErrors(ShopifyError, InvalidInput):
    """A mutation ran but Shopify rejected its input; a domain error (422) views can show as is."""

    def __init__(self, message: str, *, mutation: str, errors: Sequence[UserError], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.mutation = mutation
        self.errors = list(errors)


class AccessDenied(ShopifyError):
    """Shopify refused the token (401: revoked or uninstalled) or the scope (403); never retried."""

    def __init__(self, message: str, *, status: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


class ShopifyHTTPError(ShopifyError):
    """Any other HTTP answer the client cannot use (400, 402 frozen shop, 404, 423 locked shop, …)."""

    def __init__(self, message: str, *, status: int, body: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status
        self.body = body
