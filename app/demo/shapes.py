"""Shopify REST webhook payloads (snake_case, money as strings, tags as 'a, b') for the demo's records.

Field names and nesting follow the webhook reference samples for products/create,
companies/create, company_locations/create, company_contacts/create, customers/create (API
2025-01 and later: no tags, orders_count, total_spent or consent) and orders/create (with the
`company` object of 2025-04 and later). Fields the CRM does not read are kept to the common ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from app.money import round_money

CURRENCY = "USD"
SHOP_TIMEZONE = ZoneInfo("America/Chicago")


def ts(moment: datetime | None) -> str | None:
    """A timestamp as Shopify writes it: the shop's UTC offset, whole seconds."""
    return None if moment is None else moment.astimezone(SHOP_TIMEZONE).isoformat(timespec="seconds")


def money(amount: Decimal) -> str:
    return str(round_money(amount, CURRENCY))


def money_set(amount: Decimal) -> dict[str, Any]:
    value = {"amount": money(amount), "currency_code": CURRENCY}
    return {"shop_money": value, "presentment_money": dict(value)}


def gid(kind: str, shopify_id: int) -> str:
    return f"gid://shopify/{kind}/{shopify_id}"


def slug(text: str) -> str:
    """'Oak & Ember Bistro' → 'oak-ember-bistro' (handles, email domains)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class ProductVariant:
    shopify_id: int
    title: str
    sku: str
    price: Decimal
    compare_at_price: Decimal | None
    inventory_quantity: int

    def payload(self, product_id: int, position: int, at: datetime) -> dict[str, Any]:
        return {
            "admin_graphql_api_id": gid("ProductVariant", self.shopify_id),
            "barcode": None,
            "compare_at_price": money(self.compare_at_price) if self.compare_at_price else None,
            "created_at": ts(at),
            "id": self.shopify_id,
            "inventory_policy": "deny",
            "position": position,
            "price": money(self.price),
            "product_id": product_id,
            "sku": self.sku,
            "taxable": True,
            "title": self.title,
            "updated_at": ts(at),
            "option1": self.title,
            "option2": None,
            "option3": None,
            "image_id": None,
            "inventory_item_id": self.shopify_id + 1,
            "inventory_quantity": self.inventory_quantity,
            "old_inventory_quantity": self.inventory_quantity,
        }


@dataclass
class Product:
    shopify_id: int
    title: str
    vendor: str
    product_type: str
    tags: str
    variants: list[ProductVariant] = field(default_factory=list)

    def payload(self, at: datetime) -> dict[str, Any]:
        """products/create with every variant (one option, 'Pack')."""
        rows = [v.payload(self.shopify_id, n, at) for n, v in enumerate(self.variants, start=1)]
        return {
            "admin_graphql_api_id": gid("Product", self.shopify_id),
            "body_html": f"<p>{self.title} from {self.vendor}, packed for food service.</p>",
            "created_at": ts(at),
            "handle": slug(self.title),
            "id": self.shopify_id,
            "product_type": self.product_type,
            "published_at": ts(at),
            "template_suffix": None,
            "title": self.title,
            "updated_at": ts(at),
            "vendor": self.vendor,
            "status": "active",
            "published_scope": "global",
            "tags": self.tags,
            "variants": rows,
            "options": [
                {
                    "id": self.shopify_id + 3,
                    "product_id": self.shopify_id,
                    "name": "Pack",
                    "position": 1,
                    "values": [v.title for v in self.variants],
                }
            ],
            "images": [],
            "image": None,
            "media": [],
            "variant_gids": [
                {"admin_graphql_api_id": r["admin_graphql_api_id"], "updated_at": r["updated_at"]}
                for r in rows
            ],
            "has_variants_that_requires_components": False,
            "category": None,
        }


@dataclass
class Address:
    address1: str
    city: str
    province_code: str
    zip: str
    phone: str
    country_code: str = "US"

    def customer_form(
        self, shopify_id: int, customer_id: int, first: str, last: str, company: str | None
    ) -> dict[str, Any]:
        return {
            "id": shopify_id,
            "customer_id": customer_id,
            "first_name": first,
            "last_name": last,
            "company": company,
            "address1": self.address1,
            "address2": None,
            "city": self.city,
            "province": self.province_code,
            "country": "United States",
            "zip": self.zip,
            "phone": self.phone,
            "name": f"{first} {last}",
            "province_code": self.province_code,
            "country_code": self.country_code,
            "country_name": "United States",
            "default": True,
        }

    def company_form(self, recipient: str, company_gid: str, address_id: int, at: datetime) -> dict[str, Any]:
        return {
            "address1": self.address1,
            "city": self.city,
            "province": self.province_code,
            "country": "United States",
            "zip": self.zip,
            "recipient": recipient,
            "first_name": None,
            "last_name": None,
            "address2": None,
            "phone": self.phone,
            "zone_code": self.province_code,
            "country_code": self.country_code,
            "created_at": ts(at),
            "updated_at": ts(at),
            "admin_graphql_api_id": gid("CompanyAddress", address_id),
            "company_admin_graphql_api_id": company_gid,
        }

    def order_form(self, name: str, company: str | None) -> dict[str, Any]:
        first, _, last = name.partition(" ")
        return {
            "first_name": first,
            "last_name": last,
            "name": name,
            "company": company,
            "address1": self.address1,
            "address2": None,
            "city": self.city,
            "province": self.province_code,
            "province_code": self.province_code,
            "zip": self.zip,
            "country": "United States",
            "country_code": self.country_code,
            "phone": self.phone,
        }


@dataclass
class Person:
    shopify_id: int
    first: str
    last: str
    email: str
    phone: str
    address: Address
    address_id: int
    created_at: datetime
    state: str
    subscribed: bool
    tags: str
    company_name: str | None = None

    def _common(self) -> dict[str, Any]:
        return {
            "id": self.shopify_id,
            "admin_graphql_api_id": gid("Customer", self.shopify_id),
            "email": self.email,
            "first_name": self.first,
            "last_name": self.last,
            "phone": self.phone,
            "state": self.state,
            "verified_email": True,
            "note": None,
            "currency": CURRENCY,
            "multipass_identifier": None,
            "tax_exempt": False,
            "tax_exemptions": [],
            "created_at": ts(self.created_at),
        }

    def default_address(self) -> dict[str, Any]:
        return self.address.customer_form(
            self.address_id, self.shopify_id, self.first, self.last, self.company_name
        )

    def customers_create(self) -> dict[str, Any]:
        """customers/create as API 2025-01+ sends it: no tags, no order figures, no consent."""
        return {
            **self._common(),
            "updated_at": ts(self.created_at),
            "addresses": [self.default_address()],
            "default_address": self.default_address(),
        }

    def embedded(self, updated_at: datetime) -> dict[str, Any]:
        """The customer object inside an order payload, which still carries tags and consent."""
        return {
            **self._common(),
            "updated_at": ts(updated_at),
            "tags": self.tags,
            "email_marketing_consent": {
                "state": "subscribed" if self.subscribed else "not_subscribed",
                "opt_in_level": "single_opt_in" if self.subscribed else None,
                "consent_updated_at": ts(self.created_at) if self.subscribed else None,
            },
            "default_address": self.default_address(),
        }


@dataclass
class Company:
    shopify_id: int
    name: str
    external_id: str
    note: str | None
    customer_since: datetime
    main_contact_id: int

    def payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "note": self.note,
            "external_id": self.external_id,
            "main_contact_admin_graphql_api_id": gid("CompanyContact", self.main_contact_id),
            "created_at": ts(self.customer_since),
            "updated_at": ts(self.customer_since),
            "customer_since": ts(self.customer_since),
            "admin_graphql_api_id": gid("Company", self.shopify_id),
        }


@dataclass
class Location:
    shopify_id: int
    company: Company
    name: str
    address: Address
    address_ids: tuple[int, int]
    terms: tuple[str, int] | None  # (name, due in days); None: pay at checkout
    tax_id: str | None
    created_at: datetime

    def payload(self) -> dict[str, Any]:
        company_gid = gid("Company", self.company.shopify_id)
        template = (
            {"name": self.terms[0], "due_in_days": self.terms[1], "payment_terms_type": "net"}
            if self.terms
            else None
        )
        return {
            "name": self.name,
            "external_id": f"{self.company.external_id}-{self.shopify_id % 1000:03d}",
            "phone": self.address.phone,
            "locale": "en",
            "created_at": ts(self.created_at),
            "updated_at": ts(self.created_at),
            "note": None,
            "buyer_experience_configuration": {
                "checkout_to_draft": False,
                "editable_shipping_address": False,
                "pay_now_only": self.terms is None,
                "payment_terms_template": template,
            },
            "admin_graphql_api_id": gid("CompanyLocation", self.shopify_id),
            "tax_exemptions": [],
            "tax_settings": {
                "tax_registration_id": self.tax_id,
                "tax_exempt": self.tax_id is not None,
                "tax_exemptions": [],
            },
            "company": self.company.payload(),
            "billing_address": self.address.company_form(
                "Accounts payable", company_gid, self.address_ids[0], self.created_at
            ),
            "shipping_address": self.address.company_form(
                "Receiving", company_gid, self.address_ids[1], self.created_at
            ),
            "tax_registration": {"tax_id": self.tax_id} if self.tax_id else None,
        }


def contact_payload(
    contact_id: int, person: Person, title: str, company: Company, at: datetime
) -> dict[str, Any]:
    return {
        "customer_admin_graphql_api_id": gid("Customer", person.shopify_id),
        "title": title,
        "locale": "en",
        "created_at": ts(at),
        "updated_at": ts(at),
        "admin_graphql_api_id": gid("CompanyContact", contact_id),
        "company": company.payload(),
    }
