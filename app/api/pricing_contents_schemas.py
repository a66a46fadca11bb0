"""OpenAPI schemas of a price list's contents: entries, tiers, rules, adjustments and assignments."""

from __future__ import annotations

from app.api.openapi import Schema
from app.api.pricing_inputs import MAX_BULK_ROWS
from app.api.pricing_schemas import DECIMAL, DECIMAL_INPUT, MONEY_OR_NULL, NULLABLE_ID, values
from app.api.schema_types import COUNT, ID, MONEY, SHOPIFY_ID, TEXT, TIMESTAMP_SET, obj, query
from pricing.models import AdjustmentScope, AssignmentTarget, TierKind

ENTRY = obj(
    "PriceEntry",
    "A variant's fixed unit price in a list.",
    {
        "variant_id": ID,
        "shopify_variant_id": SHOPIFY_ID,
        "sku": TEXT,
        "product_title": TEXT,
        "variant_title": TEXT,
        "price": MONEY,
        "compare_at_price": MONEY_OR_NULL,
        "retail_price": {**MONEY_OR_NULL, "description": "The variant's own price in the shop's currency."},
        "variant_deleted": {"type": "boolean", "description": "The variant was deleted in Shopify."},
        "updated_at": TIMESTAMP_SET,
    },
)
ENTRY_INPUT = Schema(
    "PriceEntryInput",
    {
        "type": "object",
        "required": ["price"],
        "additionalProperties": False,
        "properties": {
            "price": DECIMAL_INPUT,
            "compare_at_price": {"anyOf": [DECIMAL_INPUT, {"type": "null"}]},
        },
    },
)
BULK_ROW = {
    "type": "object",
    "description": "A fixed price; name the variant by exactly one of variant_id, shopify_variant_id or sku.",
    "required": ["price"],
    "additionalProperties": False,
    "properties": {
        "variant_id": {"type": "integer", "minimum": 1, "description": "Tradeline's variant id."},
        "shopify_variant_id": {"type": "integer", "minimum": 1},
        "sku": {"type": "string", "minLength": 1},
        "price": DECIMAL_INPUT,
        "compare_at_price": {"anyOf": [DECIMAL_INPUT, {"type": "null"}]},
    },
}
BULK_INPUT = Schema(
    "PriceEntriesBulkInput",
    {
        "type": "object",
        "required": ["entries"],
        "additionalProperties": False,
        "properties": {"entries": {"type": "array", "maxItems": MAX_BULK_ROWS, "items": BULK_ROW}},
    },
)
BULK_RESULT = obj(
    "PriceEntriesBulkResult",
    "What the upsert did.",
    {"created": COUNT, "updated": COUNT, "unchanged": COUNT},
)

TIER = obj(
    "VolumeTier",
    "From min_quantity units of a line on: a fixed unit price, or percent off the list's price.",
    {
        "id": ID,
        "variant_id": {**NULLABLE_ID, "description": "Null: list-wide."},
        "min_quantity": {"type": "integer", "minimum": 2},
        "kind": {"type": "string", "enum": values(TierKind)},
        "value": {**DECIMAL, "description": "A unit price (fixed) or percent points (percent_off)."},
    },
)
TIERS_INPUT = Schema(
    "VolumeTiersInput",
    {
        "type": "object",
        "description": "Replaces the variant's tiers (variant_id null: the list-wide tiers); "
        "[] removes them.",
        "required": ["tiers"],
        "additionalProperties": False,
        "properties": {
            "variant_id": NULLABLE_ID,
            "tiers": {
                "type": "array",
                "description": "In ascending order of min_quantity.",
                "items": {
                    "type": "object",
                    "required": ["min_quantity", "kind", "value"],
                    "additionalProperties": False,
                    "properties": {
                        "min_quantity": {"type": "integer", "minimum": 2},
                        "kind": {"type": "string", "enum": values(TierKind)},
                        "value": DECIMAL_INPUT,
                    },
                },
            },
        },
    },
)

RULE = obj(
    "QuantityRule",
    "Minimum, maximum and increment of a line's quantity.",
    {
        "id": ID,
        "variant_id": {**NULLABLE_ID, "description": "Null: list-wide."},
        "minimum": {"type": "integer", "minimum": 1},
        "maximum": {"type": ["integer", "null"], "minimum": 1},
        "increment": {"type": "integer", "minimum": 1},
    },
)
RULE_INPUT = Schema(
    "QuantityRuleInput",
    {
        "type": "object",
        "description": "Sets the variant's rule (variant_id null: the list-wide rule).",
        "additionalProperties": False,
        "properties": {
            "variant_id": NULLABLE_ID,
            "minimum": {"type": "integer", "minimum": 1, "default": 1},
            "maximum": {"type": ["integer", "null"], "minimum": 1},
            "increment": {"type": "integer", "minimum": 1, "default": 1},
        },
    },
)

ADJUSTMENT = obj(
    "PriceAdjustment",
    "A percentage up or down from the base price, list-wide or for a collection, product or variant.",
    {
        "id": ID,
        "scope": {"type": "string", "enum": values(AdjustmentScope)},
        "scope_shopify_id": {"type": ["integer", "null"], "description": "Shopify id; null for 'all'."},
        "percent": {**DECIMAL, "description": "Signed percent points: -15 is 15 % off."},
    },
)
ADJUSTMENT_INPUT = Schema(
    "PriceAdjustmentInput",
    {
        "type": "object",
        "description": "Sets the adjustment of a scope (replacing the one it had).",
        "required": ["scope", "percent"],
        "additionalProperties": False,
        "properties": {
            "scope": {"type": "string", "enum": values(AdjustmentScope)},
            "scope_shopify_id": {"type": ["integer", "null"], "minimum": 1},
            "percent": DECIMAL_INPUT,
        },
    },
)

ASSIGNMENT = obj(
    "PriceListAssignment",
    "Who a list applies to: exactly the target's field is set (none for 'default').",
    {
        "id": ID,
        "target": {"type": "string", "enum": values(AssignmentTarget)},
        "company_location_id": NULLABLE_ID,
        "company_id": NULLABLE_ID,
        "customer_id": NULLABLE_ID,
        "customer_tag": TEXT,
        "segment_id": NULLABLE_ID,
        "label": {"type": "string", "examples": ["Company: Acme Corp"]},
        "created_at": TIMESTAMP_SET,
    },
)
ASSIGNMENT_INPUT = Schema(
    "PriceListAssignmentInput",
    {
        "type": "object",
        "description": "The target and its field (Tradeline ids); another shop's id is a 404.",
        "required": ["target"],
        "additionalProperties": False,
        "properties": {
            "target": {"type": "string", "enum": values(AssignmentTarget)},
            "company_location_id": {"type": "integer", "minimum": 1},
            "company_id": {"type": "integer", "minimum": 1},
            "customer_id": {"type": "integer", "minimum": 1},
            "customer_tag": {"type": "string", "minLength": 1, "maxLength": 255},
            "segment_id": {"type": "integer", "minimum": 1},
        },
    },
)

ENTRY_PARAMETERS = (
    query("search", "Words that must each appear in the SKU, variant or product title.", {"type": "string"}),
)
