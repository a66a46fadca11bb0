"""The pricing endpoints' input: request bodies checked for shape (the services check the values), and
services' PricingInputErrors turned into 422 field errors that point into the body.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from app.api.crm_inputs import MAX_ROW_ID, InvalidFields
from app.api.problems import InvalidBody
from pricing.service import lists
from pricing.validation import PricingInputError

PRICE_LIST_FIELDS = (
    "name",
    "description",
    "currency",
    "priority",
    "base",
    "order_minimum",
    "starts_at",
    "ends_at",
)
ENTRY_FIELDS = ("price", "compare_at_price")
BULK_ROW_FIELDS = ("variant_id", "shopify_variant_id", "sku", "price", "compare_at_price")
TIERS_FIELDS = ("variant_id", "tiers")
TIER_FIELDS = ("min_quantity", "kind", "value")
RULE_FIELDS = ("variant_id", "minimum", "maximum", "increment")
ADJUSTMENT_FIELDS = ("scope", "scope_shopify_id", "percent")
ASSIGNMENT_FIELDS = (
    "target",
    "company_location_id",
    "company_id",
    "customer_id",
    "customer_tag",
    "segment_id",
)
SCHEDULE_FIELDS = ("starts_at", "ends_at")
DUPLICATE_FIELDS = ("name", "with_assignments")
SETTINGS_FIELDS = ("precedence",)
RESOLVE_FIELDS = ("buyer", "lines")
BUYER_FIELDS = ("customer_id", "company_id", "company_location_id", "currency")
LINE_FIELDS = ("variant_id", "shopify_variant_id", "sku", "quantity")
# An ERP pushes a catalog in pages of this many rows; larger bodies are refused before any work.
MAX_BULK_ROWS = 5_000
MAX_RESOLVE_LINES = 5_000


def unknown_fields(
    body: Mapping[str, Any], fields: tuple[str, ...], prefix: str = ""
) -> list[tuple[str, str]]:
    """A field error for each key `fields` does not name (a misspelt optional field would vanish)."""
    return [
        (f"{prefix}{name}", f"unknown field; this takes {', '.join(fields)}")
        for name in body
        if name not in fields
    ]


def checked(
    body: Mapping[str, Any], fields: tuple[str, ...], *, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The body's fields, else InvalidFields for unknown or missing ones."""
    errors = unknown_fields(body, fields)
    errors += [(name, "required") for name in required if name not in body]
    if errors:
        raise InvalidFields(errors)
    return dict(body)


def moment(value: Any, field: str) -> datetime | None:
    """An ISO 8601 timestamp with a UTC offset (or null) as an aware datetime, else InvalidFields."""
    if value is None:
        return None
    problem = (
        f"must be an ISO 8601 timestamp with a UTC offset (2026-05-01T10:00:00Z), or null; got {value!r}"
    )
    if not isinstance(value, str):
        raise InvalidFields([(field, problem)])
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidFields([(field, problem)]) from None
    if parsed.tzinfo is None:
        raise InvalidFields([(field, problem)])
    return parsed.astimezone(UTC)


def row_id(value: Any, field: str, *, nullable: bool = False) -> int | None:
    """A row id in a body, else InvalidFields."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        raise InvalidFields(
            [(field, "must be an id (a positive integer)" + (", or null" if nullable else ""))]
        )
    return value


def array(body: Mapping[str, Any], field: str, limit: int) -> list[Any]:
    """The body's array `field`, at most `limit` items, else InvalidFields (400 when it is huge)."""
    items = body.get(field)
    if not isinstance(items, list):
        raise InvalidFields([(field, "required: an array")])
    if len(items) > limit:
        raise InvalidBody(
            f"{field}: at most {limit:,} items per request; got {len(items):,}. Send them in parts."
        )
    return items


def objects(items: list[Any], field: str, allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each item as an object with only `allowed` keys, else InvalidFields naming every bad item."""
    errors: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append((f"{field}/{index}", "must be an object"))
        else:
            errors += unknown_fields(item, allowed, prefix=f"{field}/{index}/")
    if errors:
        raise InvalidFields(errors)
    return items


@contextmanager
def field_errors(prefix: str = "") -> Iterator[None]:
    """Turn a service's PricingInputError into field errors under `prefix`; a bulk one points at each bad row
    (`entries/17/price`).
    """
    try:
        yield
    except lists.BulkInputError as exc:
        raise InvalidFields(
            [(f"{prefix}{error.index}/{error.field or 'variant_id'}", error.message) for error in exc.errors]
        ) from None
    except PricingInputError as exc:
        if exc.field is None:
            raise
        raise InvalidFields([(f"{prefix}{exc.field}", exc.detail)]) from None
