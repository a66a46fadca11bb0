"""OpenAPI schemas and query parameters of the CRM endpoints: customers, companies, orders, products, work."""

from __future__ import annotations

from typing import Any

from app.api.openapi import Schema
from crm.models import CustomerState, FinancialStatus, FulfillmentStatus, MarketingState, ProductStatus
from crm.notes import NOTE_MAX_CHARS, TITLE_MAX_CHARS
from crm.queries import (
    COMPANY_SORTS,
    CUSTOMER_SORTS,
    ORDER_SORTS,
    PRODUCT_SORTS,
    TASK_DUE,
    TASK_SORTS,
    TASK_STATUSES,
)

ID = {"type": "integer", "description": "Tradeline's id: the one the API's paths and filters take."}
SHOPIFY_ID = {"type": "integer", "description": "Shopify's numeric id (the tail of admin_graphql_api_id)."}
TIMESTAMP = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601, UTC"}
TIMESTAMP_SET = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}
TEXT = {"type": ["string", "null"]}
FLAG = {"type": ["boolean", "null"]}
COUNT = {"type": "integer", "minimum": 0}
TAG_LIST = {"type": "array", "items": {"type": "string"}}
# Addresses are kept as Shopify sent them (REST shape), so their keys follow Shopify's documentation.
ADDRESS = {"type": ["object", "null"], "description": "The address as Shopify sends it (REST shape)."}


def gid(resource: str) -> dict[str, Any]:
    """The schema of a Shopify GraphQL id of `resource`."""
    return {
        "type": "string",
        "description": f"Shopify's GraphQL id of the {resource}.",
        "examples": [f"gid://shopify/{resource}/1234567890"],
    }


def enum_of(members: Any, *, nullable: bool = True, description: str | None = None) -> dict[str, Any]:
    """A string enum of a Python enum's values (plus null when the column may be empty)."""
    values: list[Any] = [member.value for member in members]
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string"}
    schema["enum"] = [*values, None] if nullable else values
    if description:
        schema["description"] = description
    return schema


def mirror_fields(resource: str) -> dict[str, Any]:
    """The id and timestamp properties every Shopify-mirrored resource has."""
    return {
        "id": ID,
        "shopify_id": SHOPIFY_ID,
        "admin_graphql_api_id": gid(resource),
        "shopify_created_at": {**TIMESTAMP, "description": "When Shopify says it was created (UTC)."},
        "shopify_updated_at": {
            **TIMESTAMP,
            "description": "Shopify's updated_at of the payload applied; null: known by reference only.",
        },
        "created_at": {**TIMESTAMP_SET, "description": "When Tradeline first stored it (UTC)."},
        "updated_at": {
            **TIMESTAMP_SET,
            "description": "When Tradeline last changed it (UTC); what `updated_since` compares with.",
        },
        "deleted_at": {
            **TIMESTAMP,
            "description": "When it was deleted in Shopify; deleted rows are not listed.",
        },
    }


def obj(name: str, description: str, properties: dict[str, Any]) -> Schema:
    """A named object schema whose properties are all present in every response."""
    return Schema(
        name,
        {
            "type": "object",
            "description": description,
            "required": list(properties),
            "properties": properties,
        },
    )


MONEY = obj(
    "Money",
    "An exact amount: a decimal string (never a float) and its ISO 4217 currency.",
    {
        "amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["298.77"]},
        "currency_code": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["USD"]},
    },
)
MONEY_OR_NULL = {"anyOf": [MONEY, {"type": "null"}]}

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


def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def sort_parameter(sorts: tuple[str, ...], default: str) -> dict[str, Any]:
    return query(
        "sort",
        "The order of the list: a field, prefixed with '-' for descending.",
        {"type": "string", "enum": list(sorts), "default": default},
    )


def updated_since(resource: str) -> dict[str, Any]:
    return query(
        "updated_since",
        f"Only {resource} Tradeline changed at or after this moment (ISO 8601 with an offset, or a date "
        "meaning its midnight UTC): poll with the time of your last sync to pick up changes.",
        {"type": "string", "format": "date-time"},
    )


ID_FILTER = {"type": "integer", "minimum": 1}
SEARCH = query(
    "search",
    "Words that must each appear (case-insensitive) in the name, email or company.",
    {"type": "string"},
)

CUSTOMER_PARAMETERS = (
    SEARCH,
    query("tag", "Only customers with this tag (case-insensitive).", {"type": "string"}),
    query("company_id", "Only customers whose primary company is this one.", ID_FILTER),
    query("state", "Only customers in this account state.", enum_of(CustomerState, nullable=False)),
    query("sales_rep_id", "Only customers whose sales rep is this staff member.", ID_FILTER),
    updated_since("customers"),
    sort_parameter(CUSTOMER_SORTS, "name"),
)
COMPANY_PARAMETERS = (
    query(
        "search",
        "Words that must each appear in the name, external id, or a contact's name or email.",
        {"type": "string"},
    ),
    query("sales_rep_id", "Only companies whose sales rep is this staff member.", ID_FILTER),
    updated_since("companies"),
    sort_parameter(COMPANY_SORTS, "name"),
)
ORDER_PARAMETERS = (
    query("customer_id", "Only this customer's orders.", ID_FILTER),
    query("company_id", "Only this company's orders.", ID_FILTER),
    query(
        "financial_status", "Only orders with this payment state.", enum_of(FinancialStatus, nullable=False)
    ),
    query(
        "fulfillment_status",
        "Only orders with this shipping state.",
        enum_of(FulfillmentStatus, nullable=False),
    ),
    query(
        "processed_since",
        "Only orders processed at or after this moment (ISO 8601 with an offset, or a date: midnight UTC).",
        {"type": "string", "format": "date-time"},
    ),
    query(
        "processed_until",
        "Only orders processed at or before this moment (ISO 8601 with an offset, or a date: its end, UTC).",
        {"type": "string", "format": "date-time"},
    ),
    query("search", "Words that must each appear in the order name, email or PO number.", {"type": "string"}),
    sort_parameter(ORDER_SORTS, "-processed_at"),
)
PRODUCT_PARAMETERS = (
    query(
        "search",
        "Words that must each appear in the title, handle, vendor or a variant's SKU.",
        {"type": "string"},
    ),
    query("status", "Only products with this status.", enum_of(ProductStatus, nullable=False)),
    query("sku", "Only products with a variant whose SKU is exactly this.", {"type": "string"}),
    query("vendor", "Only products of this vendor (case-insensitive).", {"type": "string"}),
    sort_parameter(PRODUCT_SORTS, "title"),
)
TASK_PARAMETERS = (
    query(
        "status",
        "open (the default), done, or all.",
        {"type": "string", "enum": list(TASK_STATUSES), "default": "open"},
    ),
    query("assignee_id", "Only tasks assigned to this staff member.", ID_FILTER),
    query("customer_id", "Only tasks about this customer.", ID_FILTER),
    query("company_id", "Only tasks about this company.", ID_FILTER),
    query(
        "due",
        "overdue (open and due before today), today, upcoming (due after today) or none (no due date); "
        "today is the shop's date in its time zone.",
        {"type": "string", "enum": list(TASK_DUE)},
    ),
    query(
        "search",
        "Words that must each appear in the title or the customer's or company's name.",
        {"type": "string"},
    ),
    query(
        "sort",
        "The order of the list; by default open tasks soonest due first, done ones latest completed first.",
        {"type": "string", "enum": list(TASK_SORTS)},
    ),
)
