"""The CRM model: Shopify customers, companies, catalog and orders mirrored per shop, and the timeline.

Conventions shared by every mirrored table:
- `shopify_id` is Shopify's numeric id (the tail of the GID), unique per shop: the same id in two
  shops is two rows.
- `shopify_updated_at` is the `updated_at` of the payload last applied; a payload older than it
  changes nothing. NULL means the row is known only by reference (an order named the customer or
  company before its own payload arrived).
- Deletes are soft (`deleted_at`): history and order links survive, and a delete that arrives
  before the create leaves a tombstone so the late create does not resurrect the row.
- Money is `Numeric(18, 4)` plus a currency column. Scale 4 is the largest ISO 4217 minor unit
  (CLF, UYW), so any currency's exact amount fits, and 14 integer digits hold a lifetime total
  even in VND. Rounding happens in `app.money.round_money`, never in the column. On SQLite (the
  demo backend) the value is stored as a double, exact to 4 places below 10^11.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow

MONEY = Numeric(18, 4)
# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
JSON_DOC = JSON().with_variant(JSONB(), "postgresql")
# The analytics' counted-order rule (segments/counted.py `counted_where("")`; a test keeps them equal).
COUNTED_ORDER = "cancelled_at IS NULL AND deleted_at IS NULL AND NOT test AND processed_at IS NOT NULL"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A named enum type storing the members' values (PostgreSQL CREATE TYPE, VARCHAR elsewhere)."""
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class CustomerState(enum.StrEnum):
    """Shopify's customer account state (REST `state`)."""

    DISABLED = "disabled"  # no customer account; the default for customers made by orders or staff
    INVITED = "invited"  # invited to create an account, not accepted yet
    ENABLED = "enabled"  # has a customer account
    DECLINED = "declined"  # declined the account invitation
    UNKNOWN = "unknown"  # a state Shopify added after this release of Tradeline


class MarketingState(enum.StrEnum):
    """Email marketing consent (REST `email_marketing_consent.state`)."""

    NOT_SUBSCRIBED = "not_subscribed"  # never opted in: do not send marketing
    PENDING = "pending"  # double opt-in started, not confirmed: do not send yet
    SUBSCRIBED = "subscribed"  # opted in: marketing may be sent
    UNSUBSCRIBED = "unsubscribed"  # opted out: never send marketing
    REDACTED = "redacted"  # erased after a privacy request
    INVALID = "invalid"  # the address bounces or is malformed
    UNKNOWN = "unknown"  # a state Shopify added after this release of Tradeline


class FinancialStatus(enum.StrEnum):
    """An order's payment state (REST `financial_status`)."""

    PENDING = "pending"  # awaiting payment (B2B net terms, manual payment)
    AUTHORIZED = "authorized"  # payment authorized, not captured
    PARTIALLY_PAID = "partially_paid"  # part of the total captured (e.g. a deposit)
    PAID = "paid"  # fully paid
    PARTIALLY_REFUNDED = "partially_refunded"  # paid, then part refunded
    REFUNDED = "refunded"  # paid, then fully refunded
    VOIDED = "voided"  # authorization cancelled before capture
    EXPIRED = "expired"  # authorization lapsed
    UNKNOWN = "unknown"  # a status Shopify added after this release of Tradeline


class FulfillmentStatus(enum.StrEnum):
    """An order's shipping state (REST `fulfillment_status`; Shopify sends null for unfulfilled)."""

    UNFULFILLED = "unfulfilled"  # nothing shipped yet (REST null)
    PARTIAL = "partial"  # some lines shipped
    FULFILLED = "fulfilled"  # everything shipped
    RESTOCKED = "restocked"  # items returned to stock
    UNKNOWN = "unknown"  # a status Shopify added after this release of Tradeline


class ProductStatus(enum.StrEnum):
    """A product's publishing state (REST `status`)."""

    ACTIVE = "active"  # sellable on the channels it is published to
    DRAFT = "draft"  # being prepared; not sellable
    ARCHIVED = "archived"  # retired; kept for history
    UNLISTED = "unlisted"  # sellable by direct link only
    UNKNOWN = "unknown"  # a status Shopify added after this release of Tradeline


class SubjectType(enum.StrEnum):
    """What a timeline event is about."""

    CUSTOMER = "customer"  # a crm_customer row
    COMPANY = "company"  # a crm_company row (its locations and contacts included)
    ORDER = "order"  # a crm_order row
    PRODUCT = "product"  # a crm_product row (its variants included)
    PRICE_LIST = "price_list"  # a pricing_price_list row (pricing/timeline.py)


class ShopifyMirror:
    """Columns of every row mirrored from a Shopify resource."""

    # sort_order puts the keys first in the table, ahead of the subclass's own columns.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"), sort_order=-2)
    shopify_id: Mapped[int] = mapped_column(
        BigInteger, sort_order=-1, comment="Shopify's numeric id (tail of the GID)"
    )
    shopify_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shopify_updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="updated_at of the last applied payload; NULL = known by reference only"
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="soft delete")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class LifetimeRollup:
    """Lifetime order figures, recomputed from crm_order by one set-based statement (never +=).

    Counted orders are those neither cancelled, deleted nor test; spend is their
    `current_total_price` (after refunds and edits) in the shop's currency.
    """

    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="USD", comment="currency of total_spent")
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def average_order_value(self) -> Decimal | None:
        """Spend per counted order (unrounded), or None before the first order."""
        if not self.orders_count:
            return None
        return self.total_spent / self.orders_count


class CrmCompany(ShopifyMirror, LifetimeRollup, Base):
    """A B2B company (Shopify Plus B2B), with its lifetime order rollup."""

    __tablename__ = "crm_company"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_company_shop_id_name", "shop_id", "name"),
    )

    name: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255), comment="the merchant's own id (ERP)")
    note: Mapped[str | None] = mapped_column(Text)
    customer_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    main_contact_shopify_id: Mapped[int | None] = mapped_column(BigInteger)
    payment_terms_name: Mapped[str | None] = mapped_column(
        String(255), comment="terms of the company's first location that has terms (derived)"
    )
    sales_rep_name: Mapped[str | None] = mapped_column(String(255))
    sales_rep_email: Mapped[str | None] = mapped_column(String(320))

    locations: Mapped[list[CrmCompanyLocation]] = relationship(
        back_populates="company", order_by="CrmCompanyLocation.id", viewonly=True
    )
    contacts: Mapped[list[CrmCompanyContact]] = relationship(
        back_populates="company", order_by="CrmCompanyContact.id", viewonly=True
    )


class CrmCompanyLocation(ShopifyMirror, Base):
    """A company location: where B2B orders ship to and are billed, with its payment terms."""

    __tablename__ = "crm_company_location"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_company_location_company_id", "company_id"),
    )

    company_id: Mapped[int] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON_DOC)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON_DOC)
    payment_terms_name: Mapped[str | None] = mapped_column(String(255), comment="e.g. 'Net 30'")
    tax_registration_id: Mapped[str | None] = mapped_column(String(255))

    company: Mapped[CrmCompany] = relationship(back_populates="locations", viewonly=True)


class CrmCustomer(ShopifyMirror, LifetimeRollup, Base):
    """A Shopify customer: a retail buyer or a B2B company contact, with its lifetime order rollup."""

    __tablename__ = "crm_customer"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_customer_shop_id_email", "shop_id", "email"),
        Index("ix_crm_customer_shop_id_last_name", "shop_id", "last_name"),
        Index("ix_crm_customer_company_id", "company_id"),
    )

    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[CustomerState | None] = mapped_column(
        _enum(CustomerState, "crm_customer_state"), comment="Shopify account state"
    )
    verified_email: Mapped[bool | None] = mapped_column(Boolean)
    tax_exempt: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    email_marketing_state: Mapped[MarketingState | None] = mapped_column(
        _enum(MarketingState, "crm_marketing_state"), comment="NULL = Shopify has not told us yet"
    )
    email_marketing_opt_in_level: Mapped[str | None] = mapped_column(String(32))
    email_marketing_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    default_address: Mapped[dict[str, Any] | None] = mapped_column(JSON_DOC)
    addresses: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON_DOC)
    city: Mapped[str | None] = mapped_column(String(255), comment="of the default address, for filters")
    province_code: Mapped[str | None] = mapped_column(String(16))
    country_code: Mapped[str | None] = mapped_column(String(2))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_company.id", ondelete="SET NULL"),
        comment="primary company: the first the customer became a contact of",
    )
    sales_rep_name: Mapped[str | None] = mapped_column(String(255))
    sales_rep_email: Mapped[str | None] = mapped_column(String(320))
    acquisition_source: Mapped[str | None] = mapped_column(
        String(255), comment="channel of the first counted order (derived): utm, referrer or source"
    )

    company: Mapped[CrmCompany | None] = relationship(viewonly=True)
    tag_rows: Mapped[list[CrmCustomerTag]] = relationship(order_by="CrmCustomerTag.tag", viewonly=True)

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.email or f"Customer {self.shopify_id}"

    @property
    def accepts_email_marketing(self) -> bool:
        return self.email_marketing_state is MarketingState.SUBSCRIBED


class CrmCustomerTag(Base):
    """One tag of a customer; a row per tag so segments filter by tag through an index."""

    __tablename__ = "crm_customer_tag"
    __table_args__ = (
        UniqueConstraint("customer_id", "tag"),
        Index("ix_crm_customer_tag_shop_id_tag", "shop_id", "tag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(
        String(255), comment="as Shopify spells it; unique per customer ignoring case"
    )


class CrmCompanyContact(ShopifyMirror, Base):
    """A customer's membership of a company (Shopify CompanyContact)."""

    __tablename__ = "crm_company_contact"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_company_contact_company_id", "company_id"),
        Index("ix_crm_company_contact_customer_id", "customer_id"),
    )

    company_id: Mapped[int] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(255), comment="job title, e.g. 'Buyer'")
    locale: Mapped[str | None] = mapped_column(String(16))

    company: Mapped[CrmCompany] = relationship(back_populates="contacts", viewonly=True)
    customer: Mapped[CrmCustomer] = relationship(viewonly=True)


class CrmProduct(ShopifyMirror, Base):
    """A catalog product, the mirror that pricing and the buyer portal read."""

    __tablename__ = "crm_product"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_product_shop_id_title", "shop_id", "title"),
    )

    title: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[ProductStatus | None] = mapped_column(
        _enum(ProductStatus, "crm_product_status"), comment="Shopify publishing status"
    )
    tags: Mapped[str | None] = mapped_column(Text, comment="normalized 'a, b' list, as Shopify sends it")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    variants: Mapped[list[CrmVariant]] = relationship(
        back_populates="product", order_by="(CrmVariant.position, CrmVariant.id)", viewonly=True
    )


class CrmVariant(ShopifyMirror, Base):
    """A product variant: the unit that is priced, quoted and ordered (by SKU in quick order)."""

    __tablename__ = "crm_variant"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_variant_shop_id_sku", "shop_id", "sku"),
        Index("ix_crm_variant_product_id", "product_id"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("crm_product.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[int | None] = mapped_column(Integer)
    option1: Mapped[str | None] = mapped_column(String(255))
    option2: Mapped[str | None] = mapped_column(String(255))
    option3: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    compare_at_price: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3), default="USD", comment="the shop's currency")
    inventory_quantity: Mapped[int | None] = mapped_column(Integer)
    taxable: Mapped[bool | None] = mapped_column(Boolean)

    product: Mapped[CrmProduct] = relationship(back_populates="variants", viewonly=True)


class CrmOrder(ShopifyMirror, Base):
    """An order, retail or B2B; money in the shop's currency (`currency`)."""

    __tablename__ = "crm_order"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_order_shop_id_customer_id_processed_at", "shop_id", "customer_id", "processed_at"),
        Index("ix_crm_order_shop_id_company_id_processed_at", "shop_id", "company_id", "processed_at"),
        Index("ix_crm_order_shop_id_processed_at", "shop_id", "processed_at"),
        Index("ix_crm_order_shop_id_email", "shop_id", "email"),
        # Deleting a customer, company or location (redact, shop/redact) sets these to NULL: without an
        # index leading with the column, PostgreSQL scans every order for each deleted row.
        Index("ix_crm_order_customer_id", "customer_id"),
        Index("ix_crm_order_company_id", "company_id"),
        Index("ix_crm_order_company_location_id", "company_location_id"),
        # The analytics' counted orders per customer (segments/counted.py), read without the table.
        Index(
            "ix_crm_order_counted_customer",
            "shop_id",
            "customer_id",
            "processed_at",
            postgresql_include=["company_id", "currency", "current_total_price", "total_price"],
            postgresql_where=text(COUNTED_ORDER),
            sqlite_where=text(COUNTED_ORDER),
        ),
    )

    name: Mapped[str | None] = mapped_column(String(64), comment="e.g. '#1001'")
    number: Mapped[int | None] = mapped_column(Integer, comment="order_number, e.g. 1001")
    email: Mapped[str | None] = mapped_column(String(320))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="SET NULL"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("crm_company.id", ondelete="SET NULL"))
    company_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_company_location.id", ondelete="SET NULL")
    )
    is_b2b: Mapped[bool] = mapped_column(Boolean, default=False, comment="placed for a company")
    financial_status: Mapped[FinancialStatus | None] = mapped_column(
        _enum(FinancialStatus, "crm_financial_status"), comment="payment state"
    )
    fulfillment_status: Mapped[FulfillmentStatus | None] = mapped_column(
        _enum(FulfillmentStatus, "crm_fulfillment_status"), comment="shipping state"
    )
    currency: Mapped[str] = mapped_column(String(3), default="USD", comment="the shop's currency")
    presentment_currency: Mapped[str | None] = mapped_column(String(3), comment="what the buyer paid in")
    subtotal_price: Mapped[Decimal | None] = mapped_column(MONEY)
    total_discounts: Mapped[Decimal | None] = mapped_column(MONEY)
    total_tax: Mapped[Decimal | None] = mapped_column(MONEY)
    total_price: Mapped[Decimal | None] = mapped_column(MONEY)
    current_total_price: Mapped[Decimal | None] = mapped_column(
        MONEY, comment="after refunds and edits; what lifetime spend adds up"
    )
    source_name: Mapped[str | None] = mapped_column(
        String(255), comment="'web', 'pos', 'shopify_draft_order'"
    )
    referring_site: Mapped[str | None] = mapped_column(Text)
    landing_site: Mapped[str | None] = mapped_column(Text)
    acquisition_source: Mapped[str | None] = mapped_column(String(255), comment="derived by crm.rules")
    po_number: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text, comment="normalized 'a, b' list, as Shopify sends it")
    test: Mapped[bool] = mapped_column(Boolean, default=False, comment="a test order: never counted")
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[CrmCustomer | None] = relationship(viewonly=True)
    company: Mapped[CrmCompany | None] = relationship(viewonly=True)
    lines: Mapped[list[CrmOrderLine]] = relationship(
        back_populates="order", order_by="CrmOrderLine.id", viewonly=True
    )

    @property
    def is_counted(self) -> bool:
        """Whether lifetime rollups count this order."""
        return self.cancelled_at is None and self.deleted_at is None and not self.test


class CrmOrderLine(Base):
    """An order line; products and variants are referenced by Shopify id (they may be deleted later)."""

    __tablename__ = "crm_order_line"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_order_line_order_id", "order_id"),
        Index("ix_crm_order_line_shop_id_shopify_variant_id", "shop_id", "shopify_variant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("crm_order.id", ondelete="CASCADE"))
    shopify_id: Mapped[int] = mapped_column(BigInteger, comment="Shopify line item id")
    shopify_product_id: Mapped[int | None] = mapped_column(BigInteger)
    shopify_variant_id: Mapped[int | None] = mapped_column(BigInteger)
    sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    variant_title: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    current_quantity: Mapped[int | None] = mapped_column(Integer, comment="after removals and refunds")
    price: Mapped[Decimal] = mapped_column(MONEY, comment="unit price before discounts")
    total_discount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="USD")

    order: Mapped[CrmOrder] = relationship(back_populates="lines", viewonly=True)


class CrmTimelineEvent(Base):
    """One state change, written by the service that made it in the same transaction.

    `customer_id`/`company_id` say whose activity feed shows the event, so the customer 360 and
    company pages read their feed with one indexed query.
    """

    __tablename__ = "crm_timeline_event"
    __table_args__ = (
        Index("ix_crm_timeline_event_subject", "shop_id", "subject_type", "subject_id", "occurred_at"),
        Index("ix_crm_timeline_event_customer_feed", "shop_id", "customer_id", "occurred_at"),
        Index("ix_crm_timeline_event_company_feed", "shop_id", "company_id", "occurred_at"),
        # For the ON DELETE CASCADE from customers and companies.
        Index("ix_crm_timeline_event_customer_id", "customer_id"),
        Index("ix_crm_timeline_event_company_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    subject_type: Mapped[SubjectType] = mapped_column(_enum(SubjectType, "crm_subject_type"))
    subject_id: Mapped[int] = mapped_column(Integer, comment="row id in the subject's table")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64), comment="'<subject>.<verb>', e.g. 'order.cancelled'")
    actor: Mapped[str] = mapped_column(String(255), comment="'shopify', 'demo', or a staff email")
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(
        JSON_DOC, default=dict, comment="changes: {field: [old, new]}"
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, comment="when it happened in Shopify")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
