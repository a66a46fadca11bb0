"""Pure mapping of Admin GraphQL objects (bulk JSONL lines, query nodes) into REST-shaped webhook payloads.

The CRM services take the payloads Shopify's webhooks carry (snake_case, numeric ids next to
`admin_graphql_api_id`, money as strings, tags as "a, b"). A backfill or a reconciliation reads the
same resources through GraphQL (camelCase, GIDs, MoneyBag objects, enums in capitals), so each
object is turned into the payload the matching webhook would have carried, and the CRM applies it
with exactly the rules it applies to webhooks. Only fields the GraphQL documents in
app/shopify/graphql/Backfill*.graphql and Reconcile*.graphql select are mapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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

PARENT_KEY = "__parentId"
GID_PREFIX = "gid://shopify/"
_GID_RE = re.compile(r"^gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>\d+)(?:\?.*)?$")

# GraphQL's display fulfillment statuses that REST reports as null (nothing shipped yet).
_UNFULFILLED = frozenset(
    {"UNFULFILLED", "PENDING_FULFILLMENT", "OPEN", "IN_PROGRESS", "ON_HOLD", "SCHEDULED", "REQUEST_DECLINED"}
)
_FULFILLMENT = {"PARTIALLY_FULFILLED": "partial", "FULFILLED": "fulfilled", "RESTOCKED": "restocked"}


class MappingError(ValueError):
    """A GraphQL object lacks what its payload needs (an id of the expected kind)."""


def gid_kind(gid: Any) -> str | None:
    """`gid://shopify/LineItem/1` -> "LineItem"; None for anything that is not a Shopify GID."""
    match = _GID_RE.match(gid) if isinstance(gid, str) else None
    return match["kind"] if match else None


def gid_number(gid: Any, kind: str | None = None) -> int:
    """The numeric tail of a GID (`?model_name=...` suffixes ignored), checked against `kind`."""
    # Split by hand rather than with _GID_RE: an export holds millions of GIDs.
    rest = gid[len(GID_PREFIX) :] if isinstance(gid, str) and gid.startswith(GID_PREFIX) else ""
    found_kind, _, tail = rest.partition("/")
    digits = tail.partition("?")[0]
    if (
        not (found_kind.isascii() and found_kind.isalpha())
        or not (digits.isascii() and digits.isdigit())
        or (kind is not None and found_kind != kind)
    ):
        raise MappingError(f"{gid!r} is not a {kind or 'Shopify'} GID")
    number = int(digits)
    if not 0 < number < 2**63:
        raise MappingError(f"{gid!r} is out of range for a Shopify id")
    return number


def _lower(value: Any) -> str | None:
    """GraphQL enum -> REST string: "PARTIALLY_PAID" -> "partially_paid"."""
    return value.lower() if isinstance(value, str) else None


def _money(bag: Any) -> str | None:
    """The shop-currency amount of a MoneyBag (`{shopMoney {amount}}`), as REST's money string."""
    if not isinstance(bag, Mapping):
        return None
    shop_money = bag.get("shopMoney")
    if isinstance(shop_money, Mapping):
        amount = shop_money.get("amount")
        return str(amount) if amount is not None else None
    return None


def _tags(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ", ".join(str(tag) for tag in value)


def _ref(gid: Any, kind: str) -> dict[str, Any]:
    """A REST reference: `{"id": 1, "admin_graphql_api_id": "gid://shopify/<kind>/1"}`."""
    return {"id": gid_number(gid, kind), "admin_graphql_api_id": gid}


def _object(node: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = node.get(key)
    return value if isinstance(value, Mapping) else None


def _gid_of(node: Mapping[str, Any], key: str) -> Any:
    value = _object(node, key)
    return value.get("id") if value else None


def nested_nodes(node: Mapping[str, Any], connection: str) -> list[dict[str, Any]]:
    """The children of a nested connection in a regular query (`{nodes}` or `{edges {node}}`)."""
    value = _object(node, connection)
    if value is None:
        return []
    if isinstance(value.get("nodes"), list):
        return list(value["nodes"])
    return [edge["node"] for edge in value.get("edges") or [] if isinstance(edge, Mapping)]


# -- customers ----------------------------------------------------------------------------------


def mailing_address(address: Mapping[str, Any] | None, *, default_id: Any = None) -> dict[str, Any] | None:
    """A MailingAddress as REST's customer address."""
    if address is None:
        return None
    gid = address.get("id")
    payload: dict[str, Any] = {
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("province"),
        "province_code": address.get("provinceCode"),
        "country": address.get("country"),
        "country_code": address.get("countryCodeV2"),
        "zip": address.get("zip"),
        "phone": address.get("phone"),
    }
    if gid is not None:
        payload = {"id": gid_number(gid), **payload, "default": default_id is not None and gid == default_id}
    return payload


def customer_payload(
    node: Mapping[str, Any], addresses: Iterable[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """A Customer and its addresses as the customers/update payload (plus tags and consent)."""
    gid = node.get("id")
    email = _object(node, "defaultEmailAddress")
    phone = _object(node, "defaultPhoneNumber")
    default = _object(node, "defaultAddress")
    default_id = default.get("id") if default else None
    payload: dict[str, Any] = {
        **_ref(gid, "Customer"),
        "email": email.get("emailAddress") if email else None,
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "phone": phone.get("phoneNumber") if phone else None,
        "state": _lower(node.get("state")),
        "verified_email": node.get("verifiedEmail"),
        "tax_exempt": node.get("taxExempt"),
        "note": node.get("note"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
    }
    if "tags" in node:
        payload["tags"] = _tags(node["tags"])
    if "defaultAddress" in node:
        payload["default_address"] = mailing_address(default, default_id=default_id)
    if addresses is not None:
        payload["addresses"] = [mailing_address(a, default_id=default_id) for a in addresses]
    if email is not None:
        payload["email_marketing_consent"] = {
            "state": _lower(email.get("marketingState")),
            "opt_in_level": _lower(email.get("marketingOptInLevel")),
            "consent_updated_at": email.get("marketingUpdatedAt"),
        }
    return payload


# -- companies ----------------------------------------------------------------------------------


def company_payload(node: Mapping[str, Any]) -> dict[str, Any]:
    """A Company as the companies/update payload (B2B payloads carry only the GID)."""
    gid_number(node.get("id"), "Company")
    main_contact = _gid_of(node, "mainContact")
    return {
        "admin_graphql_api_id": node["id"],
        "name": node.get("name"),
        "external_id": node.get("externalId"),
        "note": node.get("note"),
        "customer_since": node.get("customerSince"),
        "main_contact_admin_graphql_api_id": main_contact,
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
    }


def company_address(address: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A CompanyAddress as REST's company location address."""
    if address is None:
        return None
    return {
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("province"),
        "zone_code": address.get("zoneCode"),
        "country": address.get("country"),
        "country_code": address.get("countryCode"),
        "zip": address.get("zip"),
        "recipient": address.get("recipient"),
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "phone": address.get("phone"),
    }


def _company_ref(company_gid: Any) -> dict[str, Any]:
    # No updated_at: the CRM treats it as a reference that can create a placeholder, never update.
    gid_number(company_gid, "Company")
    return {"admin_graphql_api_id": company_gid}


def company_location_payload(node: Mapping[str, Any], company_gid: Any) -> dict[str, Any]:
    """A CompanyLocation as the company_locations/update payload, naming its company."""
    gid_number(node.get("id"), "CompanyLocation")
    payload: dict[str, Any] = {
        "admin_graphql_api_id": node["id"],
        "name": node.get("name"),
        "external_id": node.get("externalId"),
        "phone": node.get("phone"),
        "locale": node.get("locale"),
        "note": node.get("note"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "company": _company_ref(company_gid),
    }
    if "billingAddress" in node:
        payload["billing_address"] = company_address(_object(node, "billingAddress"))
    if "shippingAddress" in node:
        payload["shipping_address"] = company_address(_object(node, "shippingAddress"))
    if "buyerExperienceConfiguration" in node:
        config = _object(node, "buyerExperienceConfiguration")
        template = _object(config, "paymentTermsTemplate") if config else None
        payload["buyer_experience_configuration"] = (
            None
            if config is None
            else {
                "checkout_to_draft": config.get("checkoutToDraft"),
                "editable_shipping_address": config.get("editableShippingAddress"),
                "payment_terms_template": (
                    None
                    if template is None
                    else {
                        "name": template.get("name"),
                        "due_in_days": template.get("dueInDays"),
                        "payment_terms_type": _lower(template.get("paymentTermsType")),
                    }
                ),
            }
        )
    if "taxSettings" in node:
        settings = _object(node, "taxSettings") or {}
        payload["tax_settings"] = {
            "tax_registration_id": settings.get("taxRegistrationId"),
            "tax_exempt": settings.get("taxExempt"),
        }
    return payload


def company_contact_payload(node: Mapping[str, Any], company_gid: Any) -> dict[str, Any]:
    """A CompanyContact as the company_contacts/update payload, naming its company and customer."""
    gid_number(node.get("id"), "CompanyContact")
    customer = _gid_of(node, "customer")
    if customer is not None:
        gid_number(customer, "Customer")
    return {
        "admin_graphql_api_id": node["id"],
        "customer_admin_graphql_api_id": customer,
        "title": node.get("title"),
        "locale": node.get("locale"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "company": _company_ref(company_gid),
    }


# -- products -----------------------------------------------------------------------------------


def variant_payload(node: Mapping[str, Any], product_gid: Any = None) -> dict[str, Any]:
    """A ProductVariant as an entry of a product payload's `variants`."""
    options = [o.get("value") for o in node.get("selectedOptions") or [] if isinstance(o, Mapping)]
    payload: dict[str, Any] = {
        **_ref(node.get("id"), "ProductVariant"),
        "title": node.get("title"),
        "sku": node.get("sku"),
        "barcode": node.get("barcode"),
        "position": node.get("position"),
        "price": node.get("price"),
        "compare_at_price": node.get("compareAtPrice"),
        "inventory_quantity": node.get("inventoryQuantity"),
        "taxable": node.get("taxable"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "option1": options[0] if len(options) > 0 else None,
        "option2": options[1] if len(options) > 1 else None,
        "option3": options[2] if len(options) > 2 else None,
    }
    if product_gid is not None:
        payload["product_id"] = gid_number(product_gid, "Product")
    return payload


def product_payload(node: Mapping[str, Any], variants: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A Product and its variants as the products/update payload."""
    gid = node.get("id")
    return {
        **_ref(gid, "Product"),
        "title": node.get("title"),
        "handle": node.get("handle"),
        "vendor": node.get("vendor"),
        "product_type": node.get("productType"),
        "status": _lower(node.get("status")),
        "tags": _tags(node.get("tags")),
        "published_at": node.get("publishedAt"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "variants": [variant_payload(v, gid) for v in variants],
    }


# -- orders -------------------------------------------------------------------------------------


def line_item_payload(node: Mapping[str, Any]) -> dict[str, Any]:
    """A LineItem as an entry of an order payload's `line_items`."""
    variant = _gid_of(node, "variant")
    product = _gid_of(node, "product")
    return {
        **_ref(node.get("id"), "LineItem"),
        "variant_id": gid_number(variant, "ProductVariant") if variant else None,
        "product_id": gid_number(product, "Product") if product else None,
        "sku": node.get("sku"),
        "title": node.get("title"),
        "variant_title": node.get("variantTitle"),
        "quantity": node.get("quantity"),
        "current_quantity": node.get("currentQuantity"),
        "price": _money(node.get("originalUnitPriceSet")),
        "total_discount": _money(node.get("totalDiscountSet")),
    }


def fulfillment_status(value: Any) -> str | None:
    """GraphQL's displayFulfillmentStatus as REST's fulfillment_status (null while unfulfilled)."""
    if not isinstance(value, str) or value in _UNFULFILLED:
        return None
    return _FULFILLMENT.get(value, value.lower())


def order_payload(node: Mapping[str, Any], line_items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """An Order and its line items as the orders/updated payload."""
    journey = _object(node, "customerJourneySummary")
    first_visit = _object(journey, "firstVisit") if journey else None
    customer = _gid_of(node, "customer")
    entity = _object(node, "purchasingEntity")
    company = _gid_of(entity, "company") if entity else None
    location = _gid_of(entity, "location") if entity else None
    payload: dict[str, Any] = {
        **_ref(node.get("id"), "Order"),
        "name": node.get("name"),
        "order_number": node.get("number"),
        "email": node.get("email"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": _lower(node.get("cancelReason")),
        "closed_at": node.get("closedAt"),
        "currency": node.get("currencyCode"),
        "presentment_currency": node.get("presentmentCurrencyCode"),
        "financial_status": _lower(node.get("displayFinancialStatus")),
        "fulfillment_status": fulfillment_status(node.get("displayFulfillmentStatus")),
        "subtotal_price": _money(node.get("subtotalPriceSet")),
        "total_discounts": _money(node.get("totalDiscountsSet")),
        "total_tax": _money(node.get("totalTaxSet")),
        "total_price": _money(node.get("totalPriceSet")),
        "current_total_price": _money(node.get("currentTotalPriceSet")),
        "source_name": node.get("sourceName"),
        "referring_site": first_visit.get("referrerUrl") if first_visit else None,
        "landing_site": first_visit.get("landingPage") if first_visit else None,
        "po_number": node.get("poNumber"),
        "note": node.get("note"),
        "tags": _tags(node.get("tags")),
        "test": bool(node.get("test")),
        "customer": _ref(customer, "Customer") if customer else None,
        # Present on every 2025-04+ order payload: null for a retail order, ids for a B2B one.
        "company": (
            {
                "id": gid_number(company, "Company"),
                "location_id": gid_number(location, "CompanyLocation") if location else None,
            }
            if company
            else None
        ),
        "line_items": [line_item_payload(line) for line in line_items],
    }
    return payload


# -- whole resources ----------------------------------------------------------------------------


@dataclass
class Payloads:
    """REST payloads by `crm.service.import_batch` keyword, built from some GraphQL objects."""

    customers: list[dict[str, Any]] = field(default_factory=list)
    companies: list[dict[str, Any]] = field(default_factory=list)
    company_locations: list[dict[str, Any]] = field(default_factory=list)
    company_contacts: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "customers": self.customers,
            "companies": self.companies,
            "company_locations": self.company_locations,
            "company_contacts": self.company_contacts,
            "products": self.products,
            "orders": self.orders,
        }

    def __len__(self) -> int:
        return sum(len(v) for v in self.as_kwargs().values())


# The GID kind of each resource's top-level objects, and of the children each may have.
PARENT_KIND = {"customers": "Customer", "companies": "Company", "products": "Product", "orders": "Order"}
CHILD_KINDS = {
    "customers": frozenset({"MailingAddress"}),
    "companies": frozenset({"CompanyLocation", "CompanyContact"}),
    "products": frozenset({"ProductVariant"}),
    "orders": frozenset({"LineItem"}),
}


def add_object(
    payloads: Payloads, resource: str, parent: Mapping[str, Any], children: Sequence[Mapping[str, Any]]
) -> None:
    """Append the payloads of one top-level object and its children (any order) to `payloads`."""
    kind = gid_kind(parent.get("id"))
    if kind != PARENT_KIND[resource]:
        raise MappingError(f"{parent.get('id')!r} is not a {PARENT_KIND[resource]} GID ({resource} export)")
    unexpected = [c.get("id") for c in children if gid_kind(c.get("id")) not in CHILD_KINDS[resource]]
    if unexpected:
        raise MappingError(f"{resource} export: unexpected child object(s) {unexpected[:3]}")
    if resource == "customers":
        payloads.customers.append(customer_payload(parent, children))
    elif resource == "companies":
        payloads.companies.append(company_payload(parent))
        for child in children:
            if gid_kind(child["id"]) == "CompanyLocation":
                payloads.company_locations.append(company_location_payload(child, parent["id"]))
            else:
                payloads.company_contacts.append(company_contact_payload(child, parent["id"]))
    elif resource == "products":
        payloads.products.append(product_payload(parent, _by_position(children)))
    else:
        payloads.orders.append(order_payload(parent, children))


def _by_position(variants: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    # Unordered JSONL loses the variants' order; their position restores it.
    return sorted(variants, key=lambda v: (v.get("position") is None, v.get("position") or 0))


def children_of(node: Mapping[str, Any], resource: str) -> list[dict[str, Any]]:
    """The nested children of a reconciliation node, as flat objects like bulk JSONL lines."""
    connections = {
        "customers": ("addressesV2",),
        "companies": ("locations", "contacts"),
        "products": ("variants",),
        "orders": ("lineItems",),
    }[resource]
    return [child for name in connections for child in nested_nodes(node, name)]


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


def order_record(node: Mapping[str, Any], line_items: Iterable[Mapping[str, Any]]) -> OrderRecord:
    """What `crm.payloads.parse_order(order_payload(node, line_items))` returns, without the payload."""
    code = node.get("currencyCode")
    currency = normalize_currency(code) if code else None
    presentment = node.get("presentmentCurrencyCode")
    journey = _object(node, "customerJourneySummary")
    first_visit = _object(journey, "firstVisit") if journey else None
    source = _text(node.get("sourceName"))
    referring = _text(first_visit.get("referrerUrl"), None) if first_visit else None
    landing = _text(first_visit.get("landingPage"), None) if first_visit else None
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
