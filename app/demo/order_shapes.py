"""Shopify REST payloads of the demo's orders (orders/create with lines, customer and B2B company)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.demo.shapes import CURRENCY, Location, Person, gid, money, money_set, ts


@dataclass
class Line:
    shopify_id: int
    product_id: int
    variant_id: int
    sku: str
    title: str
    variant_title: str
    vendor: str
    quantity: int
    price: Decimal

    def payload(self, fulfilled: bool) -> dict[str, Any]:
        return {
            "id": self.shopify_id,
            "admin_graphql_api_id": gid("LineItem", self.shopify_id),
            "variant_id": self.variant_id,
            "product_id": self.product_id,
            "product_exists": True,
            "sku": self.sku,
            "title": self.title,
            "variant_title": self.variant_title,
            "name": f"{self.title} - {self.variant_title}",
            "vendor": self.vendor,
            "quantity": self.quantity,
            "current_quantity": self.quantity,
            "fulfillable_quantity": 0 if fulfilled else self.quantity,
            "fulfillment_status": "fulfilled" if fulfilled else None,
            "fulfillment_service": "manual",
            "gift_card": False,
            "grams": 0,
            "price": money(self.price),
            "price_set": money_set(self.price),
            "total_discount": "0.00",
            "total_discount_set": money_set(Decimal(0)),
            "taxable": True,
            "requires_shipping": True,
            "properties": [],
            "discount_allocations": [],
            "tax_lines": [],
        }


@dataclass
class Order:
    """One order in its state as of the demo's `today` (later changes folded into it)."""

    processed_at: datetime
    person: Person | None
    location: Location | None
    lines: list[Line]
    shipping: Decimal
    tax: Decimal
    source_name: str
    referring_site: str | None = None
    landing_site: str | None = None
    po_number: str | None = None
    note: str | None = None
    tags: str = ""
    fulfilled_at: datetime | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    refunded: Decimal = Decimal(0)
    shopify_id: int = 0
    number: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + self.tax

    @property
    def updated_at(self) -> datetime:
        moments = [self.processed_at, self.fulfilled_at, self.paid_at, self.cancelled_at, self.closed_at]
        return max(m for m in moments if m is not None)

    @property
    def closed_at(self) -> datetime | None:
        if self.cancelled_at is not None:
            return self.cancelled_at
        if self.fulfilled_at is not None and self.paid_at is not None:
            return max(self.fulfilled_at, self.paid_at)
        return None

    def financial_status(self) -> str:
        if self.cancelled_at is not None:
            return "refunded" if self.paid_at is not None else "voided"
        if self.paid_at is None:
            return "pending"
        return "partially_refunded" if self.refunded else "paid"

    def payload(self) -> dict[str, Any]:
        current = Decimal(0) if self.cancelled_at else self.total - self.refunded
        name = f"#{1000 + self.number}"
        person, location = self.person, self.location
        terms = location.terms if location else None
        company_name = location.company.name if location else None
        address = location.address if location else (person.address if person else None)
        contact_name = f"{person.first} {person.last}" if person else "Guest"
        return {
            "id": self.shopify_id,
            "admin_graphql_api_id": gid("Order", self.shopify_id),
            "name": name,
            "order_number": 1000 + self.number,
            "number": self.number,
            "email": person.email if person else None,
            "contact_email": person.email if person else None,
            "phone": None,
            "created_at": ts(self.processed_at),
            "updated_at": ts(self.updated_at),
            "processed_at": ts(self.processed_at),
            "closed_at": ts(self.closed_at),
            "cancelled_at": ts(self.cancelled_at),
            "cancel_reason": self.cancel_reason,
            "currency": CURRENCY,
            "presentment_currency": CURRENCY,
            "financial_status": self.financial_status(),
            "fulfillment_status": "fulfilled" if self.fulfilled_at else None,
            "confirmed": True,
            "test": False,
            "taxes_included": False,
            "tax_exempt": self.tax == 0 and location is not None,
            "buyer_accepts_marketing": bool(person and person.subscribed),
            "subtotal_price": money(self.subtotal),
            "subtotal_price_set": money_set(self.subtotal),
            "total_line_items_price": money(self.subtotal),
            "total_discounts": "0.00",
            "total_discounts_set": money_set(Decimal(0)),
            "total_tax": money(self.tax),
            "total_tax_set": money_set(self.tax),
            "total_shipping_price_set": money_set(self.shipping),
            "total_price": money(self.total),
            "total_price_set": money_set(self.total),
            "current_subtotal_price": money(
                Decimal(0) if self.cancelled_at else self.subtotal - self.refunded
            ),
            "current_total_price": money(current),
            "current_total_price_set": money_set(current),
            "current_total_tax": money(Decimal(0) if self.cancelled_at else self.tax),
            "total_outstanding": money(Decimal(0) if self.paid_at or self.cancelled_at else self.total),
            "source_name": self.source_name,
            "referring_site": self.referring_site,
            "landing_site": self.landing_site,
            "po_number": self.po_number,
            "note": self.note,
            "note_attributes": [],
            "tags": self.tags,
            "discount_codes": [],
            "payment_gateway_names": ["manual"] if terms else ["shopify_payments"],
            "payment_terms": (
                {
                    "payment_terms_name": terms[0],
                    "payment_terms_type": "net",
                    "due_in_days": terms[1],
                    "payment_schedules": [
                        {
                            "amount": money(self.total),
                            "currency": CURRENCY,
                            "issued_at": ts(self.processed_at),
                            "completed_at": ts(self.paid_at),
                        }
                    ],
                }
                if terms
                else None
            ),
            "customer": person.embedded(self.processed_at) if person else None,
            "company": {"id": location.company.shopify_id, "location_id": location.shopify_id}
            if location
            else None,
            "line_items": [line.payload(self.fulfilled_at is not None) for line in self.lines],
            "shipping_lines": [
                {
                    "title": "Freight" if location else "Standard shipping",
                    "code": "freight" if location else "standard",
                    "source": "shopify",
                    "price": money(self.shipping),
                    "price_set": money_set(self.shipping),
                    "discounted_price": money(self.shipping),
                }
            ],
            "billing_address": address.order_form(contact_name, company_name) if address else None,
            "shipping_address": address.order_form(contact_name, company_name) if address else None,
            "refunds": [],
            "fulfillments": [],
        }
