"""Pure parsing of Shopify REST-shaped payloads (webhooks) into CRM column values.

A parsed `Record` holds only the fields the payload carried: Shopify's payload shapes differ by
topic and API version (customers/update has no tags since 2025-01; the customer embedded in an
order still has them), so a field the payload lacks must leave the stored value alone rather
than blank it. Malformed input raises `InvalidInput` and nothing is stored.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from app.errors import InvalidInput
from app.money import normalize_currency, parse_amount
from crm import rules
from crm.models import CustomerState, FinancialStatus, FulfillmentStatus, MarketingState, ProductStatus

E = TypeVar("E", bound=Enum)

TAG_MAX_CHARS = 255
_GID_RE = re.compile(r"^gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>\d+)(\?.*)?$")
# Column widths of crm.models; longer values are cut rather than failing a whole delivery.
SHORT_TEXT_CHARS = 255
EMAIL_CHARS = 320
PHONE_CHARS = 64
CODE_CHARS = 16


@dataclass(frozen=True)
class Record:
    """One Shopify resource as column values: only the fields its payload carried.

    `updated_at` None means the payload only referred to the resource (an order naming its
    company): such a record may create a placeholder row but never updates one.
    """

    shopify_id: int
    updated_at: datetime | None
    values: Mapping[str, Any] = field(default_factory=dict)

    def with_values(self, **values: Any) -> Record:
        return dataclasses.replace(self, values={**self.values, **values})


@dataclass(frozen=True)
class CustomerRecord(Record):
    tags: tuple[str, ...] | None = None  # None: the payload carried no tags


@dataclass(frozen=True)
class CompanyChildRecord(Record):
    """A company location or contact, with the company it belongs to."""

    company: Record | None = None
    customer_shopify_id: int | None = None  # contacts only


@dataclass(frozen=True)
class ProductRecord(Record):
    variants: tuple[Record, ...] | None = None


@dataclass(frozen=True)
class OrderRecord(Record):
    lines: tuple[Record, ...] | None = None
    customer: CustomerRecord | None = None
    has_customer: bool = False  # the payload had a `customer` key (null = a guest order)
    company_shopify_id: int | None = None
    location_shopify_id: int | None = None
    has_company: bool = False  # the payload had a `company` key (API 2025-04+)


# -- scalars -----------------------------------------------------------------------------------


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with an offset ('2026-05-01T10:00:00-05:00', '...Z') as aware UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{value!r} is not a timestamp")
    text = value.strip()
    # Python keeps microseconds; Shopify's triggered-at header carries nanoseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not an ISO 8601 timestamp") from exc
    if parsed.tzinfo is None:
        raise InvalidInput(f"{value!r} has no UTC offset; Shopify timestamps always carry one")
    return parsed.astimezone(UTC)


def parse_money(value: Any) -> Decimal | None:
    """A Shopify money string ('11.50') as an exact Decimal; None stays None."""
    if value is None or value == "":
        return None
    return parse_amount(value)


def parse_tags(value: Any) -> list[str]:
    """Shopify tags ('b2b, vip' or a list) as a list: trimmed, no blanks, no duplicates ignoring case."""
    if value is None:
        return []
    if isinstance(value, str):
        parts: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        parts = value
    else:
        raise InvalidInput(f"{value!r} is not a tag list")
    seen: set[str] = set()
    tags: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise InvalidInput(f"{part!r} is not a tag")
        tag = " ".join(part.split())[:TAG_MAX_CHARS]
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def format_tags(tags: Iterable[str]) -> str:
    """Tags as Shopify writes them in REST payloads: 'a, b'."""
    return ", ".join(tags)


def parse_id(value: Any, kind: str) -> int:
    """A Shopify id from an integer, a digit string or a GID of this kind ('gid://shopify/Company/1')."""
    if isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not a Shopify {kind} id")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and value.isdigit():
        result = int(value)
    elif isinstance(value, str) and (match := _GID_RE.match(value)):
        if match["kind"] != kind:
            raise InvalidInput(f"{value!r} is not a {kind} GID")
        result = int(match["id"])
    else:
        raise InvalidInput(f"{value!r} is not a Shopify {kind} id")
    if not 0 < result < 2**63:
        raise InvalidInput(f"{value!r} is out of range for a Shopify id")
    return result


def parse_enum(enum_cls: type[E], value: Any, *, unknown: E) -> E | None:
    """A Shopify status string as a member; a value this release does not know maps to `unknown`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{value!r} is not a status")
    try:
        return enum_cls(value.strip().lower())
    except ValueError:
        return unknown


def _text(value: Any, limit: int | None = SHORT_TEXT_CHARS) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise InvalidInput(f"{value!r} is not text")
    text = str(value).strip()
    if not text:
        return None
    return text[:limit] if limit else text


def _email(value: Any) -> str | None:
    text = _text(value, EMAIL_CHARS)
    # Addresses are matched case-insensitively everywhere in practice; store one spelling.
    return text.lower() if text else None


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not a boolean")
    return value


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{value!r} is not an integer")
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not an integer") from exc


def _dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{value!r} is not an object")
    return value


def _require_object(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"a {what} payload must be a JSON object")
    return payload


def _take(payload: Mapping[str, Any], spec: Mapping[str, tuple[str, Callable[[Any], Any]]]) -> dict[str, Any]:
    """{column: parse(payload[key])} for each key the payload has."""
    return {column: parse(payload[key]) for key, (column, parse) in spec.items() if key in payload}


def _shopify_id(payload: Mapping[str, Any], kind: str) -> int:
    if payload.get("id") is not None:
        return parse_id(payload["id"], kind)
    if payload.get("admin_graphql_api_id") is not None:
        return parse_id(payload["admin_graphql_api_id"], kind)
    raise InvalidInput(f"the {kind} payload has no id")


# -- customers -----------------------------------------------------------------------------------

_CUSTOMER_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "email": ("email", _email),
    "first_name": ("first_name", _text),
    "last_name": ("last_name", _text),
    "phone": ("phone", lambda v: _text(v, PHONE_CHARS)),
    "state": ("state", lambda v: parse_enum(CustomerState, v, unknown=CustomerState.UNKNOWN)),
    "verified_email": ("verified_email", _bool),
    "tax_exempt": ("tax_exempt", _bool),
    "note": ("note", lambda v: _text(v, None)),
    "created_at": ("shopify_created_at", parse_datetime),
    "addresses": ("addresses", lambda v: list(v) if isinstance(v, list) else None),
}


def parse_customer(payload: Any) -> CustomerRecord:
    """customers/create|update, or the `customer` object embedded in an order."""
    payload = _require_object(payload, "customer")
    values = _take(payload, _CUSTOMER_FIELDS)
    if "default_address" in payload:
        address = _dict(payload["default_address"])
        values["default_address"] = address
        values["city"] = _text((address or {}).get("city"))
        values["province_code"] = _text((address or {}).get("province_code"), CODE_CHARS)
        values["country_code"] = _text((address or {}).get("country_code"), 2)
    if "email_marketing_consent" in payload:
        consent = _dict(payload["email_marketing_consent"]) or {}
        values["email_marketing_state"] = parse_enum(
            MarketingState, consent.get("state"), unknown=MarketingState.UNKNOWN
        )
        values["email_marketing_opt_in_level"] = _text(consent.get("opt_in_level"), 32)
        values["email_marketing_updated_at"] = parse_datetime(consent.get("consent_updated_at"))
    elif "accepts_marketing" in payload:
        # Legacy boolean, still on the customer embedded in orders; the consent object wins when present.
        accepts = _bool(payload["accepts_marketing"])
        if accepts is not None:
            values["email_marketing_state"] = (
                MarketingState.SUBSCRIBED if accepts else MarketingState.NOT_SUBSCRIBED
            )
    tags = tuple(parse_tags(payload["tags"])) if "tags" in payload else None
    return CustomerRecord(
        shopify_id=_shopify_id(payload, "Customer"),
        updated_at=parse_datetime(payload.get("updated_at")),
        values=values,
        tags=tags,
    )


# -- companies -----------------------------------------------------------------------------------

_COMPANY_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name": ("name", _text),
    "external_id": ("external_id", _text),
    "note": ("note", lambda v: _text(v, None)),
    "customer_since": ("customer_since", parse_datetime),
    "main_contact_admin_graphql_api_id": (
        "main_contact_shopify_id",
        lambda v: None if v is None else parse_id(v, "CompanyContact"),
    ),
    "created_at": ("shopify_created_at", parse_datetime),
}


def parse_company(payload: Any) -> Record:
    """companies/create|update (the id comes only as `admin_graphql_api_id`)."""
    payload = _require_object(payload, "company")
    return Record(
        shopify_id=_shopify_id(payload, "Company"),
        updated_at=parse_datetime(payload.get("updated_at")),
        values=_take(payload, _COMPANY_FIELDS),
    )


def _payment_terms_name(config: Any) -> str | None:
    config = _dict(config) or {}
    template = _dict(config.get("payment_terms_template")) or {}
    return _text(template.get("name"))


def _tax_registration_id(payload: Mapping[str, Any]) -> str | None:
    registration = _dict(payload.get("tax_registration")) or {}
    settings = _dict(payload.get("tax_settings")) or {}
    return _text(registration.get("tax_id") or settings.get("tax_registration_id"))


_LOCATION_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name": ("name", _text),
    "external_id": ("external_id", _text),
    "phone": ("phone", lambda v: _text(v, PHONE_CHARS)),
    "locale": ("locale", lambda v: _text(v, CODE_CHARS)),
    "note": ("note", lambda v: _text(v, None)),
    "billing_address": ("billing_address", _dict),
    "shipping_address": ("shipping_address", _dict),
    "buyer_experience_configuration": ("payment_terms_name", _payment_terms_name),
    "created_at": ("shopify_created_at", parse_datetime),
}


def parse_company_location(payload: Any) -> CompanyChildRecord:
    """company_locations/create|update, with the company it belongs to."""
    payload = _require_object(payload, "company location")
    values = _take(payload, _LOCATION_FIELDS)
    if "tax_registration" in payload or "tax_settings" in payload:
        values["tax_registration_id"] = _tax_registration_id(payload)
    company = payload.get("company")
    return CompanyChildRecord(
        shopify_id=_shopify_id(payload, "CompanyLocation"),
        updated_at=parse_datetime(payload.get("updated_at")),
        values=values,
        company=parse_company(company) if company is not None else None,
    )


def parse_company_contact(payload: Any) -> CompanyChildRecord:
    """company_contacts/create|update: a customer's membership of a company."""
    payload = _require_object(payload, "company contact")
    values = _take(
        payload,
        {
            "title": ("title", _text),
            "locale": ("locale", lambda v: _text(v, CODE_CHARS)),
            "created_at": ("shopify_created_at", parse_datetime),
        },
    )
    customer_gid = payload.get("customer_admin_graphql_api_id")
    company = payload.get("company")
    return CompanyChildRecord(
        shopify_id=_shopify_id(payload, "CompanyContact"),
        updated_at=parse_datetime(payload.get("updated_at")),
        values=values,
        company=parse_company(company) if company is not None else None,
        customer_shopify_id=parse_id(customer_gid, "Customer") if customer_gid is not None else None,
    )


# -- products ------------------------------------------------------------------------------------

_PRODUCT_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "title": ("title", _text),
    "handle": ("handle", _text),
    "vendor": ("vendor", _text),
    "product_type": ("product_type", _text),
    "status": ("status", lambda v: parse_enum(ProductStatus, v, unknown=ProductStatus.UNKNOWN)),
    "tags": ("tags", lambda v: format_tags(parse_tags(v)) or None),
    "published_at": ("published_at", parse_datetime),
    "created_at": ("shopify_created_at", parse_datetime),
}

_VARIANT_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "title": ("title", _text),
    "sku": ("sku", _text),
    "barcode": ("barcode", _text),
    "position": ("position", _int),
    "option1": ("option1", _text),
    "option2": ("option2", _text),
    "option3": ("option3", _text),
    "price": ("price", parse_money),
    "compare_at_price": ("compare_at_price", parse_money),
    "inventory_quantity": ("inventory_quantity", _int),
    "taxable": ("taxable", _bool),
    "created_at": ("shopify_created_at", parse_datetime),
}


def parse_variant(payload: Any, product_updated_at: datetime | None = None) -> Record:
    """A variant from a product payload; one without its own updated_at takes the product's."""
    payload = _require_object(payload, "variant")
    return Record(
        shopify_id=_shopify_id(payload, "ProductVariant"),
        updated_at=parse_datetime(payload.get("updated_at")) or product_updated_at,
        values=_take(payload, _VARIANT_FIELDS),
    )


def parse_product(payload: Any) -> ProductRecord:
    """products/create|update with its variants."""
    payload = _require_object(payload, "product")
    variants = payload.get("variants")
    if variants is not None and not isinstance(variants, list):
        raise InvalidInput("a product's variants must be a list")
    updated_at = parse_datetime(payload.get("updated_at"))
    return ProductRecord(
        shopify_id=_shopify_id(payload, "Product"),
        updated_at=updated_at,
        values=_take(payload, _PRODUCT_FIELDS),
        variants=tuple(parse_variant(v, updated_at) for v in variants) if variants is not None else None,
    )


# -- orders --------------------------------------------------------------------------------------

_ORDER_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name": ("name", lambda v: _text(v, 64)),
    "order_number": ("number", _int),
    "email": ("email", _email),
    "presentment_currency": ("presentment_currency", lambda v: normalize_currency(v) if v else None),
    "financial_status": (
        "financial_status",
        lambda v: parse_enum(FinancialStatus, v, unknown=FinancialStatus.UNKNOWN),
    ),
    # REST sends null for an unfulfilled order.
    "fulfillment_status": (
        "fulfillment_status",
        lambda v: parse_enum(FulfillmentStatus, v or "unfulfilled", unknown=FulfillmentStatus.UNKNOWN),
    ),
    "subtotal_price": ("subtotal_price", parse_money),
    "total_discounts": ("total_discounts", parse_money),
    "total_tax": ("total_tax", parse_money),
    "total_price": ("total_price", parse_money),
    "current_total_price": ("current_total_price", parse_money),
    "source_name": ("source_name", _text),
    "referring_site": ("referring_site", lambda v: _text(v, None)),
    "landing_site": ("landing_site", lambda v: _text(v, None)),
    "po_number": ("po_number", _text),
    "note": ("note", lambda v: _text(v, None)),
    "tags": ("tags", lambda v: format_tags(parse_tags(v)) or None),
    "test": ("test", lambda v: bool(_bool(v))),
    "processed_at": ("processed_at", parse_datetime),
    "cancelled_at": ("cancelled_at", parse_datetime),
    "cancel_reason": ("cancel_reason", lambda v: _text(v, 64)),
    "closed_at": ("closed_at", parse_datetime),
    "created_at": ("shopify_created_at", parse_datetime),
}

_LINE_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "product_id": ("shopify_product_id", lambda v: None if v is None else parse_id(v, "Product")),
    "variant_id": ("shopify_variant_id", lambda v: None if v is None else parse_id(v, "ProductVariant")),
    "sku": ("sku", _text),
    "title": ("title", _text),
    "variant_title": ("variant_title", _text),
    "quantity": ("quantity", _int),
    "current_quantity": ("current_quantity", _int),
    "price": ("price", parse_money),
    "total_discount": ("total_discount", parse_money),
}


def parse_order_line(payload: Any, currency: str | None) -> Record:
    payload = _require_object(payload, "line item")
    values = _take(payload, _LINE_FIELDS)
    values.setdefault("quantity", 0)
    if values.get("price") is None:
        values["price"] = Decimal(0)
    if values.get("total_discount") is None:
        values["total_discount"] = Decimal(0)
    if currency:
        values["currency"] = currency
    return Record(shopify_id=_shopify_id(payload, "LineItem"), updated_at=None, values=values)


def parse_order(payload: Any) -> OrderRecord:
    """orders/create|updated|paid|cancelled with its lines, embedded customer and B2B company."""
    payload = _require_object(payload, "order")
    values = _take(payload, _ORDER_FIELDS)
    currency = normalize_currency(payload["currency"]) if payload.get("currency") else None
    if currency:
        values["currency"] = currency
    if "email" not in values and "contact_email" in payload:
        values["email"] = _email(payload["contact_email"])
    if "current_total_price" not in payload and "total_price" in values:
        # Payloads before 2019 lack current_total_price; with no edits or refunds it equals the total.
        values["current_total_price"] = values["total_price"]
    if {"source_name", "referring_site", "landing_site"} & payload.keys():
        values["acquisition_source"] = rules.acquisition_source(
            source_name=values.get("source_name"),
            referring_site=values.get("referring_site"),
            landing_site=values.get("landing_site"),
        )
    lines = payload.get("line_items")
    if lines is not None and not isinstance(lines, list):
        raise InvalidInput("an order's line_items must be a list")
    customer = payload.get("customer")
    company = _dict(payload.get("company"))
    if company is not None and company.get("id") is None:
        raise InvalidInput("an order's company has no id")
    if "company" in payload:
        values["is_b2b"] = company is not None
    return OrderRecord(
        shopify_id=_shopify_id(payload, "Order"),
        updated_at=parse_datetime(payload.get("updated_at")),
        values=values,
        lines=(tuple(parse_order_line(line, currency) for line in lines) if lines is not None else None),
        customer=parse_customer(customer) if customer else None,
        has_customer="customer" in payload,
        company_shopify_id=parse_id(company["id"], "Company") if company else None,
        location_shopify_id=(
            parse_id(company["location_id"], "CompanyLocation")
            if company and company.get("location_id") is not None
            else None
        ),
        has_company="company" in payload,
    )


def parse_deleted_id(payload: Any, kind: str) -> int:
    """The id of a */delete payload (`{id}` or, for B2B topics, `{admin_graphql_api_id}`)."""
    return _shopify_id(_require_object(payload, f"{kind} delete"), kind)
