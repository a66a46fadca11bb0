"""The backfill's hot path: orders mapped straight to the CRM's parsed records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from app.money import normalize_currency
from crm import rules
from crm.models import FinancialStatus, FulfillmentStatus
from crm.payloads import (
    CustomerRecord,
    OrderRecord,
    Record,
    format_tags,
    parse_datetime,
    parse_enum,
    parse_money,
    parse_tags,
)
from webhooks.bulk_mapping.payloads import (
    fulfillment_status,
)
from webhooks.bulk_mapping.values import (
    MappingError,
    _gid_of,
    _lower,
    _money,
    _object,
    _tags,
    gid_number,
)

# -- the backfill's hot path ---------------------------------------------------------------------
# A million-order export spends a third of the import's CPU building REST payload dicts and parsing
# them back field by field. `order_record` gives exactly what `crm.payloads.parse_order` returns for
# `order_payload(...)`, straight from the GraphQL objects, with the CRM's own value parsers; a test
# holds the two paths equal on every shape the export produces.

SHORT_TEXT_CHARS = 255
EMAIL_CHARS = 320
NAME_CHARS = 64


def _text(value: Any, limit: int | None = SHORT_TEXT_CHARS) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise MappingError(f"{value!r} is not text")
    text = str(value).strip()
    if not text:
        return None
    return text[:limit] if limit else text


def _integer(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MappingError(f"{value!r} is not an integer")
    return int(value)


def _line_record(node: Mapping[str, Any], currency: str | None) -> Record:
    variant = _gid_of(node, "variant")
    product = _gid_of(node, "product")
    values: dict[str, Any] = {
        "shopify_product_id": gid_number(product, "Product") if product else None,
        "shopify_variant_id": gid_number(variant, "ProductVariant") if variant else None,
        "sku": _text(node.get("sku")),
        "title": _text(node.get("title")),
        "variant_title": _text(node.get("variantTitle")),
        "quantity": _integer(node.get("quantity")),
        "current_quantity": _integer(node.get("currentQuantity")),
        "price": parse_money(_money(node.get("originalUnitPriceSet"))),
        "total_discount": parse_money(_money(node.get("totalDiscountSet"))),
    }
    if values["price"] is None:
        values["price"] = Decimal(0)
    if values["total_discount"] is None:
        values["total_discount"] = Decimal(0)
    if currency:
        values["currency"] = currency
    return Record(shopify_id=gid_number(node.get("id"), "LineItem"), updated_at=None, values=values)


def order_origin(node: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """An order's source name and its first visit's referrer and landing page (acquisition source)."""
    journey = _object(node, "customerJourneySummary")
    first_visit = _object(journey, "firstVisit") if journey else None
    referring = _text(first_visit.get("referrerUrl"), None) if first_visit else None
    landing = _text(first_visit.get("landingPage"), None) if first_visit else None
    return _text(node.get("sourceName")), referring, landing


def order_record(node: Mapping[str, Any], line_items: Iterable[Mapping[str, Any]]) -> OrderRecord:
    """What `crm.payloads.parse_order(order_payload(node, line_items))` returns, without the payload."""
    code = node.get("currencyCode")
    currency = normalize_currency(code) if code else None
    presentment = node.get("presentmentCurrencyCode")
    source, referring, landing = order_origin(node)
    email = _text(node.get("email"), EMAIL_CHARS)
    tags = _tags(node.get("tags"))
    values: dict[str, Any] = {
        "name": _text(node.get("name"), NAME_CHARS),
        "number": _integer(node.get("number")),
        "email": email.lower() if email else None,
        "presentment_currency": normalize_currency(presentment) if presentment else None,
        "financial_status": parse_enum(
            FinancialStatus, _lower(node.get("displayFinancialStatus")), unknown=FinancialStatus.UNKNOWN
        ),
        "fulfillment_status": parse_enum(
            FulfillmentStatus,
            fulfillment_status(node.get("displayFulfillmentStatus")) or "unfulfilled",
            unknown=FulfillmentStatus.UNKNOWN,
        ),
        "subtotal_price": parse_money(_money(node.get("subtotalPriceSet"))),
        "total_discounts": parse_money(_money(node.get("totalDiscountsSet"))),
        "total_tax": parse_money(_money(node.get("totalTaxSet"))),
        "total_price": parse_money(_money(node.get("totalPriceSet"))),
        "current_total_price": parse_money(_money(node.get("currentTotalPriceSet"))),
        "source_name": source,
        "referring_site": referring,
        "landing_site": landing,
        "po_number": _text(node.get("poNumber")),
        "note": _text(node.get("note"), None),
        "tags": format_tags(parse_tags(tags)) or None,
        "test": bool(node.get("test")),
        "processed_at": parse_datetime(node.get("processedAt")),
        "cancelled_at": parse_datetime(node.get("cancelledAt")),
        "cancel_reason": _text(_lower(node.get("cancelReason")), NAME_CHARS),
        "closed_at": parse_datetime(node.get("closedAt")),
        "shopify_created_at": parse_datetime(node.get("createdAt")),
    }
    if currency:
        values["currency"] = currency
    values["acquisition_source"] = rules.acquisition_source(
        source_name=source, referring_site=referring, landing_site=landing
    )
    customer = _gid_of(node, "customer")
    entity = _object(node, "purchasingEntity")
    company = _gid_of(entity, "company") if entity else None
    location = _gid_of(entity, "location") if entity else None
    values["is_b2b"] = company is not None
    return OrderRecord(
        shopify_id=gid_number(node.get("id"), "Order"),
        updated_at=parse_datetime(node.get("updatedAt")),
        values=values,
        lines=tuple(_line_record(line, currency) for line in line_items),
        customer=(
            CustomerRecord(shopify_id=gid_number(customer, "Customer"), updated_at=None, values={})
            if customer
            else None
        ),
        has_customer=True,
        company_shopify_id=gid_number(company, "Company") if company else None,
        location_shopify_id=gid_number(location, "CompanyLocation") if location and company else None,
        has_company=True,
    )
