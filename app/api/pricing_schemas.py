"""OpenAPI schemas and query parameters of the pricing endpoints (contents: pricing_contents_schemas)."""

from __future__ import annotations

from typing import Any

from app.api.openapi import Schema
from app.api.pricing_inputs import MAX_RESOLVE_LINES
from app.api.schema_types import COUNT, ID, MONEY, TEXT, TIMESTAMP, TIMESTAMP_SET, obj, query
from pricing.models import AssignmentTarget, Precedence, PriceBase, PriceListStatus
from pricing.service.lists import PRICE_LIST_SORTS

MONEY_OR_NULL = {"anyOf": [MONEY, {"type": "null"}]}
DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "A decimal number as a string."}
DECIMAL_INPUT = {
    "type": ["string", "integer"],
    "description": "A decimal number as a string ('12.50') or an integer; JSON floats are refused (inexact).",
    "examples": ["12.50"],
}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}
TIMESTAMP_INPUT = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "ISO 8601 with an offset",
}


def values(members: Any) -> list[str]:
    return [member.value for member in members]


COUNTS = obj(
    "PriceListCounts",
    "How many rows of each kind a price list holds.",
    {"entries": COUNT, "assignments": COUNT, "adjustments": COUNT, "tiers": COUNT, "quantity_rules": COUNT},
)

PRICE_LIST = obj(
    "PriceList",
    "A named set of wholesale prices in one currency, with who it applies to and when.",
    {
        "id": ID,
        "name": {"type": "string"},
        "description": TEXT,
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "status": {
            "type": "string",
            "enum": values(PriceListStatus),
            "description": "draft: prices nobody; active: prices its buyers in its window; archived: "
            "retired.",
        },
        "live": {"type": "boolean", "description": "Active and inside its window right now."},
        "starts_at": {**TIMESTAMP, "description": "Null: from activation."},
        "ends_at": {**TIMESTAMP, "description": "Null: open-ended."},
        "priority": {"type": "integer", "description": "Higher wins under the 'priority' precedence."},
        "base": {"type": "string", "enum": values(PriceBase), "description": "What adjustments start from."},
        "order_minimum": {**MONEY_OR_NULL, "description": "Minimum subtotal of the lines this list prices."},
        "counts": COUNTS,
        "created_at": TIMESTAMP_SET,
        "updated_at": {**TIMESTAMP_SET, "description": "Moves whenever the list or its contents change."},
    },
)

PRICE_LIST_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Unique in the shop."},
    "description": {"type": ["string", "null"], "maxLength": 5000},
    "currency": {"type": "string", "description": "ISO 4217; default the shop's.", "examples": ["USD"]},
    "priority": {"type": "integer", "minimum": -1_000_000, "maximum": 1_000_000},
    "base": {"type": "string", "enum": values(PriceBase)},
    "order_minimum": {"anyOf": [DECIMAL_INPUT, {"type": "null"}]},
    "starts_at": TIMESTAMP_INPUT,
    "ends_at": {**TIMESTAMP_INPUT, "description": "ISO 8601 with an offset; after starts_at."},
}
PRICE_LIST_INPUT = Schema(
    "PriceListInput",
    {
        "type": "object",
        "description": "A new price list; it starts as a draft.",
        "required": ["name"],
        "additionalProperties": False,
        "properties": PRICE_LIST_PROPERTIES,
    },
)
PRICE_LIST_CHANGES = Schema(
    "PriceListChanges",
    {
        "type": "object",
        "description": "The fields to change; the others stay as they are. Archived lists cannot change.",
        "additionalProperties": False,
        "properties": PRICE_LIST_PROPERTIES,
    },
)
SCHEDULE_INPUT = Schema(
    "PriceListSchedule",
    {
        "type": "object",
        "description": "The window the list prices in; scheduling activates a draft.",
        "additionalProperties": False,
        "properties": {"starts_at": TIMESTAMP_INPUT, "ends_at": TIMESTAMP_INPUT},
    },
)
DUPLICATE_INPUT = Schema(
    "PriceListDuplicate",
    {
        "type": "object",
        "description": "Options of a copy: its name (default '<name> (copy)') and whether to copy "
        "assignments.",
        "additionalProperties": False,
        "properties": {
            "name": {"type": ["string", "null"], "maxLength": 255},
            "with_assignments": {"type": "boolean", "default": True},
        },
    },
)

SETTINGS = obj(
    "PricingSettings",
    "How the shop picks among the lists that apply to a buyer.",
    {
        "precedence": {
            "type": "string",
            "enum": values(Precedence),
            "description": "lowest_price: the lowest price wins; priority: the highest priority wins.",
        }
    },
)
SETTINGS_INPUT = Schema(
    "PricingSettingsInput",
    {
        "type": "object",
        "required": ["precedence"],
        "additionalProperties": False,
        "properties": {"precedence": {"type": "string", "enum": values(Precedence)}},
    },
)

VIOLATION = obj(
    "PriceViolation",
    "A rule the cart breaks: below_minimum, above_maximum, not_increment, below_order_minimum, no_price.",
    {"code": {"type": "string"}, "message": {"type": "string"}, "price_list_id": NULLABLE_ID},
)
CANDIDATE = obj(
    "PriceCandidate",
    "A price list the engine considered for a line, its exact price and why it won or lost.",
    {
        "price_list_id": ID,
        "price_list_name": {"type": "string"},
        "via": {"type": ["string", "null"], "enum": [*values(AssignmentTarget), None]},
        "unit_price": {**MONEY_OR_NULL, "description": "Exact, before rounding."},
        "source": {"type": "string", "examples": ["fixed", "adjustment", "tier"]},
        "tier_min_quantity": {"type": ["integer", "null"]},
        "outcome": {"type": "string", "enum": ["won", "lost", "not_applicable"]},
        "reason": {"type": "string"},
    },
)
PRICED_LINE = obj(
    "PricedLine",
    "One line: the unit price that won, rounded once; where it came from; the rules it breaks; "
    "every candidate.",
    {
        "variant_id": ID,
        "shopify_variant_id": {"type": ["integer", "null"]},
        "sku": TEXT,
        "title": TEXT,
        "quantity": {"type": "integer", "minimum": 1},
        "currency": {"type": "string"},
        "unit_price": {**MONEY_OR_NULL, "description": "Null: no price in the buyer's currency."},
        "line_total": MONEY_OR_NULL,
        "base_price": {**MONEY_OR_NULL, "description": "The retail price."},
        "source": {"type": "string", "enum": ["fixed", "adjustment", "tier", "retail", "none"]},
        "price_list": {
            "anyOf": [
                {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": ID, "name": {"type": ["string", "null"]}},
                },
                {"type": "null"},
            ]
        },
        "tier_min_quantity": {"type": ["integer", "null"]},
        "violations": {"type": "array", "items": VIOLATION},
        "explanation": {"type": "string"},
        "candidates": {"type": "array", "items": CANDIDATE},
    },
)
PRICED_CART = obj(
    "PricedCart",
    "Every line priced for the buyer, the subtotal of the priced lines and the cart's own violations.",
    {
        "currency": {"type": "string"},
        "subtotal": MONEY,
        "violations": {"type": "array", "items": VIOLATION},
        "lines": {"type": "array", "items": PRICED_LINE},
    },
)
RESOLVE_INPUT = Schema(
    "PriceResolveInput",
    {
        "type": "object",
        "required": ["lines"],
        "additionalProperties": False,
        "properties": {
            "buyer": {
                "type": "object",
                "description": "Tradeline ids; all optional (no ids: the default lists and retail prices).",
                "additionalProperties": False,
                "properties": {
                    "customer_id": {"type": "integer", "minimum": 1},
                    "company_id": {"type": "integer", "minimum": 1},
                    "company_location_id": {"type": "integer", "minimum": 1},
                    "currency": {"type": "string", "description": "ISO 4217; default the shop's."},
                },
            },
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_RESOLVE_LINES,
                "items": {
                    "type": "object",
                    "description": "Name the variant by exactly one of variant_id, shopify_variant_id "
                    "or sku.",
                    "required": ["quantity"],
                    "additionalProperties": False,
                    "properties": {
                        "variant_id": {"type": "integer", "minimum": 1},
                        "shopify_variant_id": {"type": "integer", "minimum": 1},
                        "sku": {"type": "string", "minLength": 1},
                        "quantity": {"type": "integer", "minimum": 1},
                    },
                },
            },
        },
    },
)

LIST_PARAMETERS = (
    query("status", "Only lists in this status.", {"type": "string", "enum": values(PriceListStatus)}),
    query("search", "Words that must all appear in the name.", {"type": "string", "maxLength": 255}),
    query(
        "sort", "The order: a field, '-' for descending.", {"type": "string", "enum": list(PRICE_LIST_SORTS)}
    ),
)
