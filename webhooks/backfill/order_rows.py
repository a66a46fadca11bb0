"""Orders of a bulk export as PostgreSQL COPY text: the backfill's hot path, one line of text per row.

`bulk_mapping.order_record` builds the CRM's parsed record (Decimals, datetimes, enums, a dict per
order and per line), and the writer then turns those values back into COPY text. For a million
orders that round trip (and the garbage collector walking the millions of short-lived containers
it creates) cost more than half the importer's CPU. This module goes from the GraphQL objects
straight to the COPY text of the same values: every field goes through the same rules as
`order_record` (the same truncation, the same enum mapping, the same money and timestamp checks),
values that repeat across orders (money amounts, statuses, tags, channels) are parsed once, and the
text is what PostgreSQL reads back as the very value `order_record` would have written (a unit test
holds the two equal on every shape the export produces).

The rows name their customer, company and location by Shopify id; the writer
(`webhooks.backfill.orders_copy`) resolves them to row ids in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.money import normalize_currency
from crm import rules
from crm.models import FinancialStatus, FulfillmentStatus
from crm.payloads import format_tags, parse_datetime, parse_enum, parse_money, parse_tags
from webhooks.bulk_mapping.payloads import fulfillment_status
from webhooks.bulk_mapping.records import EMAIL_CHARS, NAME_CHARS, _integer, _text, order_origin
from webhooks.bulk_mapping.values import _gid_of, _lower, _money, _object, _tags, gid_number

# The temporary tables' columns, in COPY order (the writer creates the tables from these names).
ORDER_COLUMNS = (
    "shopify_id",
    "shopify_updated_at",
    "customer_sid",
    "company_sid",
    "location_sid",
    "name",
    "number",
    "email",
    "currency",
    "presentment_currency",
    "financial_status",
    "fulfillment_status",
    "subtotal_price",
    "total_discounts",
    "total_tax",
    "total_price",
    "current_total_price",
    "source_name",
    "referring_site",
    "landing_site",
    "acquisition_source",
    "po_number",
    "note",
    "tags",
    "test",
    "processed_at",
    "cancelled_at",
    "cancel_reason",
    "closed_at",
    "shopify_created_at",
    "is_b2b",
)
LINE_COLUMNS = (
    "order_sid",
    "shopify_id",
    "shopify_product_id",
    "shopify_variant_id",
    "sku",
    "title",
    "variant_title",
    "quantity",
    "current_quantity",
    "price",
    "total_discount",
    "currency",
)
NULL = "\\N"
# Values remembered per kind (amounts, tags, channels...): a bound on memory, not a tuning knob.
CACHE_ENTRIES = 50_000
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str | None) -> str:
    """A text value as a COPY field: NULL as \\N, backslashes and control characters escaped."""
    if value is None:
        return NULL
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def _cached(parse: Callable[[Any], str]) -> Callable[[Any], str]:
    """`parse` remembering its answers for hashable inputs (cleared when it holds CACHE_ENTRIES)."""
    memo: dict[Any, str] = {}

    def lookup(value: Any) -> str:
        try:
            return memo[value]
        except KeyError:
            pass
        except TypeError:  # an unhashable value (a malformed object): parse it to get its error
            return parse(value)
        text = parse(value)
        if len(memo) >= CACHE_ENTRIES:
            memo.clear()
        memo[value] = text
        return text

    return lookup


def _amount_text(value: str | None) -> str:
    amount = parse_money(value)
    return NULL if amount is None else str(amount)


def _line_amount_text(value: str | None) -> str:
    # A line without a price or discount holds 0, as the CRM's parser gives it.
    amount = parse_money(value)
    return str(Decimal(0) if amount is None else amount)


def _currency_text(value: Any) -> str:
    return normalize_currency(value) if value else NULL


def _financial_text(value: Any) -> str:
    status = parse_enum(FinancialStatus, _lower(value), unknown=FinancialStatus.UNKNOWN)
    return NULL if status is None else status.value


def _fulfillment_text(value: Any) -> str:
    status = parse_enum(
        FulfillmentStatus, fulfillment_status(value) or "unfulfilled", unknown=FulfillmentStatus.UNKNOWN
    )
    return NULL if status is None else status.value


def _tags_text(value: str | None) -> str:
    return copy_text(format_tags(parse_tags(value)) or None)


def _channel_text(key: tuple[str | None, str | None, str | None]) -> str:
    source, referring, landing = key
    return copy_text(
        rules.acquisition_source(source_name=source, referring_site=referring, landing_site=landing)
    )


def _gid_text(kind: str) -> Callable[[Any], str]:
    return _cached(lambda gid: str(gid_number(gid, kind)))


_amount = _cached(_amount_text)
_line_amount = _cached(_line_amount_text)
_currency = _cached(_currency_text)
_financial = _cached(_financial_text)
_fulfillment = _cached(_fulfillment_text)
_normal_tags = _cached(_tags_text)
_channel = _cached(_channel_text)
_product_id = _gid_text("Product")
_variant_id = _gid_text("ProductVariant")


def timestamp(value: Any) -> datetime | None:
    """`crm.payloads.parse_datetime`, with Shopify's usual 'YYYY-MM-DDTHH:MM:SSZ' read directly."""
    if isinstance(value, str) and len(value) == 20 and value[19] == "Z" and value[10] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # the CRM's parser names the problem
    return parse_datetime(value)


def _timestamp_text(value: Any) -> str:
    parsed = timestamp(value)
    return NULL if parsed is None else parsed.isoformat()


def _int_text(value: Any) -> str:
    number = _integer(value)
    return NULL if number is None else str(number)


def line_row(order_id: str, node: Mapping[str, Any], currency: str) -> str:
    """One line item's COPY row (LINE_COLUMNS), naming its order by Shopify id."""
    variant = _gid_of(node, "variant")
    product = _gid_of(node, "product")
    return "\t".join(
        (
            order_id,
            str(gid_number(node.get("id"), "LineItem")),
            _product_id(product) if product else NULL,
            _variant_id(variant) if variant else NULL,
            copy_text(_text(node.get("sku"))),
            copy_text(_text(node.get("title"))),
            copy_text(_text(node.get("variantTitle"))),
            _int_text(node.get("quantity")),
            _int_text(node.get("currentQuantity")),
            _line_amount(_money(node.get("originalUnitPriceSet"))),
            _line_amount(_money(node.get("totalDiscountSet"))),
            currency,
        )
    )


References = tuple[int | None, int | None, int | None]


def order_rows(
    node: Mapping[str, Any], line_items: Iterable[Mapping[str, Any]]
) -> tuple[int, datetime | None, str, References]:
    """(Shopify id, updated_at, COPY text of the order row and its lines, (customer, company, location))."""
    shopify_id = gid_number(node.get("id"), "Order")
    updated_at = timestamp(node.get("updatedAt"))
    currency = _currency(node.get("currencyCode"))
    source, referring, landing = order_origin(node)
    email = _text(node.get("email"), EMAIL_CHARS)
    customer = _gid_of(node, "customer")
    entity = _object(node, "purchasingEntity")
    company = _gid_of(entity, "company") if entity else None
    location = _gid_of(entity, "location") if entity and company else None
    references = (
        gid_number(customer, "Customer") if customer else None,
        gid_number(company, "Company") if company else None,
        gid_number(location, "CompanyLocation") if location else None,
    )
    order_id = str(shopify_id)
    row = "\t".join(
        (
            order_id,
            NULL if updated_at is None else updated_at.isoformat(),
            *(NULL if sid is None else str(sid) for sid in references),
            copy_text(_text(node.get("name"), NAME_CHARS)),
            _int_text(node.get("number")),
            copy_text(email.lower() if email else None),
            currency,
            _currency(node.get("presentmentCurrencyCode")),
            _financial(node.get("displayFinancialStatus")),
            _fulfillment(node.get("displayFulfillmentStatus")),
            _amount(_money(node.get("subtotalPriceSet"))),
            _amount(_money(node.get("totalDiscountsSet"))),
            _amount(_money(node.get("totalTaxSet"))),
            _amount(_money(node.get("totalPriceSet"))),
            _amount(_money(node.get("currentTotalPriceSet"))),
            copy_text(source),
            copy_text(referring),
            copy_text(landing),
            _channel((source, referring, landing)),
            copy_text(_text(node.get("poNumber"))),
            copy_text(_text(node.get("note"), None)),
            _normal_tags(_tags(node.get("tags"))),
            "t" if node.get("test") else "f",
            _timestamp_text(node.get("processedAt")),
            _timestamp_text(node.get("cancelledAt")),
            copy_text(_text(_lower(node.get("cancelReason")), NAME_CHARS)),
            _timestamp_text(node.get("closedAt")),
            _timestamp_text(node.get("createdAt")),
            "t" if company is not None else "f",
        )
    )
    lines = [line_row(order_id, line, currency) for line in line_items]
    return shopify_id, updated_at, "\n".join((row, *lines)) if lines else row, references


class OrderRows:
    """A batch of orders as COPY text: the newest payload of each order id, its lines with it."""

    def __init__(self) -> None:
        self._orders: dict[int, tuple[datetime | None, str, str, References]] = {}

    def add(self, node: Mapping[str, Any], line_items: Iterable[Mapping[str, Any]]) -> None:
        """Add one order; of two payloads of one order the later-updated wins (the first on a tie)."""
        items = list(line_items)
        shopify_id, updated_at, text, references = order_rows(node, items)
        held = self._orders.get(shopify_id)
        if held is not None and (updated_at is None or (held[0] is not None and updated_at <= held[0])):
            return
        order, _, lines = text.partition("\n")
        self._orders[shopify_id] = (updated_at, order, lines, references)

    def __len__(self) -> int:
        return len(self._orders)

    def copy_data(self) -> tuple[bytes, bytes]:
        """The COPY data of the order rows and of the line rows (UTF-8, one row per line)."""
        orders = "".join(f"{order}\n" for _, order, _, _ in self._orders.values())
        lines = "".join(f"{lines}\n" for _, _, lines, _ in self._orders.values() if lines)
        return orders.encode(), lines.encode()

    def references(self) -> tuple[list[int], list[int], list[int]]:
        """The Shopify ids of the customers, companies and locations the orders name, each sorted."""
        found: tuple[set[int], set[int], set[int]] = (set(), set(), set())
        for *_, references in self._orders.values():
            for ids, sid in zip(found, references, strict=True):
                if sid is not None:
                    ids.add(sid)
        return sorted(found[0]), sorted(found[1]), sorted(found[2])
