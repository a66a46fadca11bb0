"""The mirrored orders and their lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from crm.models.accounts import CrmCompany, CrmCustomer
from crm.models.columns import COUNTED_ORDER, MONEY, FinancialStatus, FulfillmentStatus, ShopifyMirror, _enum


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
