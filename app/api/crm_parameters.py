"""The query parameters of the CRM list endpoints: search, filters and sort."""

from __future__ import annotations

from app.api.schema_types import ID_FILTER, enum_of, query, sort_parameter, updated_since
from crm.models import CustomerState, FinancialStatus, FulfillmentStatus, ProductStatus
from crm.queries import (
    COMPANY_SORTS,
    CUSTOMER_SORTS,
    ORDER_SORTS,
    PRODUCT_SORTS,
    TASK_DUE,
    TASK_SORTS,
    TASK_STATUSES,
)

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
