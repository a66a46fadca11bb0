"""OpenAPI schemas of the CRM resources: customers, companies, orders, products, notes and tasks."""

from __future__ import annotations

from typing import Any

from app.api.openapi import Schema
from app.api.schema_types import (
    ADDRESS,
    COUNT,
    FLAG,
    ID,
    MONEY,
    MONEY_OR_NULL,
    SHOPIFY_ID,
    TAG_LIST,
    TEXT,
    TIMESTAMP,
    TIMESTAMP_SET,
    enum_of,
    gid,
    mirror_fields,
    obj,
)

# The segments schemas import their building blocks from here, query among them.
from app.api.schema_types import query as query
from crm.models import CustomerState, FinancialStatus, FulfillmentStatus, MarketingState, ProductStatus
from crm.notes import NOTE_MAX_CHARS, TITLE_MAX_CHARS

STAFF_MEMBER = obj(
    "StaffMember",
    "A person who uses Tradeline's admin (a sales rep or task assignee).",
    {"id": ID, "name": {"type": "string"}, "email": TEXT},
)
STAFF_MEMBER_OR_NULL = {"anyOf": [STAFF_MEMBER, {"type": "null"}]}

COMPANY_REFERENCE = obj(
    "CompanyReference",
    "A company named by another resource.",
    {"id": ID, "shopify_id": SHOPIFY_ID, "admin_graphql_api_id": gid("Company"), "name": TEXT},
)
COMPANY_REFERENCE_OR_NULL = {"anyOf": [COMPANY_REFERENCE, {"type": "null"}]}

CUSTOMER_REFERENCE = obj(
    "CustomerReference",
    "A customer named by another resource.",
    {
        "id": ID,
        "shopify_id": SHOPIFY_ID,
        "admin_graphql_api_id": gid("Customer"),
        "display_name": {"type": "string", "description": "The name, else the email, else 'Customer <id>'."},
        "email": TEXT,
    },
)
CUSTOMER_REFERENCE_OR_NULL = {"anyOf": [CUSTOMER_REFERENCE, {"type": "null"}]}

LIFETIME = obj(
    "LifetimeMetrics",
    "Lifetime order figures over counted orders (not cancelled, deleted or test), in the shop's currency.",
    {
        "orders_count": COUNT,
        "total_spent": {**MONEY.ref, "description": "Sum of current totals (after refunds and edits)."},
        "average_order_value": {
            "anyOf": [MONEY, {"type": "null"}],
            "description": "total_spent / orders_count, rounded to the currency's minor unit; "
            "null before the first order.",
        },
        "first_order_at": TIMESTAMP,
        "last_order_at": TIMESTAMP,
    },
)

CUSTOMER = obj(
    "Customer",
    "A Shopify customer in the CRM, with tags, primary company, sales rep and lifetime figures.",
    {
        **mirror_fields("Customer"),
        "email": TEXT,
        "first_name": TEXT,
        "last_name": TEXT,
        "display_name": {"type": "string", "description": "The name, else the email, else 'Customer <id>'."},
        "phone": TEXT,
        "state": enum_of(CustomerState, description="Shopify customer account state."),
        "verified_email": FLAG,
        "tax_exempt": FLAG,
        "note": TEXT,
        "email_marketing": obj(
            "EmailMarketingConsent",
            "Email marketing consent as Shopify last reported it (state null: not reported yet).",
            {
                "state": enum_of(MarketingState),
                "opt_in_level": TEXT,
                "consent_updated_at": TIMESTAMP,
            },
        ),
        "default_address": ADDRESS,
        "tags": {**TAG_LIST, "description": "As Shopify spells them, sorted."},
        "company": {**COMPANY_REFERENCE_OR_NULL, "description": "The primary company (the first joined)."},
        "sales_rep": STAFF_MEMBER_OR_NULL,
        "acquisition_source": {
            **TEXT,
            "description": "Channel of the first counted order (utm, referrer, source).",
        },
        "lifetime": LIFETIME,
    },
)

COMPANY_FIELDS: dict[str, Any] = {
    **mirror_fields("Company"),
    "name": TEXT,
    "external_id": {**TEXT, "description": "The merchant's own id (e.g. from an ERP)."},
    "note": TEXT,
    "customer_since": TIMESTAMP,
    "payment_terms_name": {
        **TEXT,
        "description": "Terms of the first location that has terms, e.g. 'Net 30'.",
    },
    "sales_rep": STAFF_MEMBER_OR_NULL,
    "locations_count": {**COUNT, "description": "Live (not deleted) locations."},
    "contacts_count": {**COUNT, "description": "Live (not deleted) contacts."},
    "lifetime": LIFETIME,
}
COMPANY = obj("Company", "A B2B company with its sales rep and lifetime figures.", COMPANY_FIELDS)

COMPANY_LOCATION = obj(
    "CompanyLocation",
    "A company location: where B2B orders ship to and are billed, with its payment terms.",
    {
        **mirror_fields("CompanyLocation"),
        "name": TEXT,
        "external_id": TEXT,
        "phone": TEXT,
        "locale": TEXT,
        "note": TEXT,
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
        "payment_terms_name": TEXT,
        "tax_registration_id": TEXT,
    },
)

COMPANY_CONTACT = obj(
    "CompanyContact",
    "A customer's membership of a company.",
    {
        **mirror_fields("CompanyContact"),
        "title": {**TEXT, "description": "Job title, e.g. 'Buyer'."},
        "locale": TEXT,
        "customer": CUSTOMER_REFERENCE,
    },
)

COMPANY_DETAIL = obj(
    "CompanyDetail",
    "A company with its live locations and contacts.",
    {
        **COMPANY_FIELDS,
        "locations": {"type": "array", "items": COMPANY_LOCATION},
        "contacts": {"type": "array", "items": COMPANY_CONTACT},
    },
)

ORDER_FIELDS: dict[str, Any] = {
    **mirror_fields("Order"),
    "name": {**TEXT, "examples": ["#1001"]},
    "number": {"type": ["integer", "null"], "examples": [1001]},
    "email": TEXT,
    "customer": CUSTOMER_REFERENCE_OR_NULL,
    "company": COMPANY_REFERENCE_OR_NULL,
    "company_location_id": {"type": ["integer", "null"], "description": "Tradeline's id of the location."},
    "is_b2b": {"type": "boolean"},
    "financial_status": enum_of(FinancialStatus),
    "fulfillment_status": enum_of(FulfillmentStatus),
    "presentment_currency": {**TEXT, "description": "The currency the buyer paid in."},
    "subtotal_price": MONEY_OR_NULL,
    "total_discounts": MONEY_OR_NULL,
    "total_tax": MONEY_OR_NULL,
    "total_price": MONEY_OR_NULL,
    "current_total_price": {**MONEY_OR_NULL, "description": "After refunds and edits."},
    "source_name": {**TEXT, "examples": ["web", "pos", "shopify_draft_order"]},
    "po_number": TEXT,
    "note": TEXT,
    "tags": TAG_LIST,
    "test": {"type": "boolean"},
    "processed_at": TIMESTAMP,
    "cancelled_at": TIMESTAMP,
    "cancel_reason": TEXT,
    "closed_at": TIMESTAMP,
}
ORDER = obj("Order", "An order, retail or B2B; money in the shop's currency.", ORDER_FIELDS)

ORDER_LINE = obj(
    "OrderLine",
    "An order line; the product and variant are named by Shopify id (they may since have been deleted).",
    {
        "id": ID,
        "shopify_id": SHOPIFY_ID,
        "admin_graphql_api_id": gid("LineItem"),
        "shopify_product_id": {"type": ["integer", "null"]},
        "shopify_variant_id": {"type": ["integer", "null"]},
        "sku": TEXT,
        "title": TEXT,
        "variant_title": TEXT,
        "quantity": {"type": "integer"},
        "current_quantity": {"type": ["integer", "null"], "description": "After removals and refunds."},
        "price": {**MONEY.ref, "description": "Unit price before discounts."},
        "total_discount": MONEY,
    },
)

ORDER_DETAIL = obj(
    "OrderDetail",
    "An order with its lines.",
    {**ORDER_FIELDS, "lines": {"type": "array", "items": ORDER_LINE}},
)

VARIANT = obj(
    "ProductVariant",
    "A product variant: the unit that is priced and ordered.",
    {
        **mirror_fields("ProductVariant"),
        "title": TEXT,
        "sku": TEXT,
        "barcode": TEXT,
        "position": {"type": ["integer", "null"]},
        "options": {
            "type": "array",
            "items": {"type": "string"},
            "description": "option1..option3 that are set",
        },
        "price": MONEY_OR_NULL,
        "compare_at_price": MONEY_OR_NULL,
        "inventory_quantity": {"type": ["integer", "null"]},
        "taxable": FLAG,
    },
)

PRODUCT = obj(
    "Product",
    "A catalog product with its variants (deleted variants left out).",
    {
        **mirror_fields("Product"),
        "title": TEXT,
        "handle": TEXT,
        "vendor": TEXT,
        "product_type": TEXT,
        "status": enum_of(ProductStatus),
        "tags": TAG_LIST,
        "published_at": TIMESTAMP,
        "variants": {"type": "array", "items": VARIANT},
    },
)

NOTE = obj(
    "Note",
    "A note on a customer or a company (exactly one of customer_id and company_id is set).",
    {
        "id": ID,
        "customer_id": {"type": ["integer", "null"]},
        "company_id": {"type": ["integer", "null"]},
        "body": {"type": "string"},
        "author_name": {"type": "string", "examples": ["API: ERP sync"]},
        "author_id": {
            "type": ["integer", "null"],
            "description": "The staff member; null: written via the API.",
        },
        "created_at": TIMESTAMP_SET,
    },
)

TASK = obj(
    "Task",
    "A follow-up task about a customer or a company (exactly one of customer_id and company_id is set).",
    {
        "id": ID,
        "title": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "done"]},
        "due_on": {
            "type": ["string", "null"],
            "format": "date",
            "description": "A day in the shop's time zone.",
        },
        "customer_id": {"type": ["integer", "null"]},
        "company_id": {"type": ["integer", "null"]},
        "assignee": STAFF_MEMBER_OR_NULL,
        "created_by_name": {"type": "string"},
        "completed_at": TIMESTAMP,
        "completed_by_name": TEXT,
        "created_at": TIMESTAMP_SET,
        "updated_at": TIMESTAMP_SET,
    },
)

NOTE_INPUT = Schema(
    "NoteInput",
    {
        "type": "object",
        "description": "A note to add; its author is the API key's name.",
        "required": ["body"],
        "additionalProperties": False,
        "properties": {
            "body": {
                "type": "string",
                "minLength": 1,
                "maxLength": NOTE_MAX_CHARS,
                "description": "The text; blank is refused.",
            }
        },
    },
)

TASK_INPUT = Schema(
    "TaskInput",
    {
        "type": "object",
        "description": "A follow-up task about exactly one customer or one company.",
        "required": ["title"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX_CHARS},
            "due_on": {"type": ["string", "null"], "format": "date", "examples": ["2026-12-01"]},
            "customer_id": {"type": "integer", "minimum": 1},
            "company_id": {"type": "integer", "minimum": 1},
            "assignee_id": {"type": ["integer", "null"], "minimum": 1, "description": "A staff member's id."},
        },
        "oneOf": [{"required": ["customer_id"]}, {"required": ["company_id"]}],
    },
)
