"""CRM mirrors of the webhook topics that have no home in crm.models: draft orders, Shopify's own
purchasing summary of a customer, and the latest tag change per customer and tag.

- Draft orders are mirrored minimally (status, totals, who, the order they became) so quotes can
  follow the draft orders they create; lines stay in Shopify and in the quote.
- `customers/purchasing_summary` is Shopify's lifetime count and spend of a customer (payloads
  lost `orders_count`/`total_spent` in 2025-01). It is kept beside Tradeline's rollups, which
  count only the orders Tradeline holds, so a gap between the two points at missed orders.
- `customer.tags_added`/`customer.tags_removed` carry one change each and may arrive in any
  order; the newest change per (customer, tag) is remembered so an older one cannot undo it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from crm.models import MONEY, ShopifyMirror


class DraftOrderStatus(enum.StrEnum):
    """A draft order's state (REST `status`)."""

    OPEN = "open"  # being prepared; no invoice sent
    INVOICE_SENT = "invoice_sent"  # the buyer was sent the invoice link
    COMPLETED = "completed"  # turned into an order (`order_shopify_id`)
    UNKNOWN = "unknown"  # a status Shopify added after this release of Tradeline


class CrmDraftOrder(ShopifyMirror, Base):
    """A Shopify draft order (a quote's vehicle to checkout), without its lines."""

    __tablename__ = "crm_draft_order"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_crm_draft_order_customer_id", "customer_id"),
    )

    name: Mapped[str | None] = mapped_column(String(64), comment="e.g. '#D174'")
    status: Mapped[DraftOrderStatus | None] = mapped_column(
        Enum(
            DraftOrderStatus,
            name="crm_draft_order_status",
            values_callable=lambda members: [m.value for m in members],
        ),
        comment="Shopify draft order status",
    )
    email: Mapped[str | None] = mapped_column(String(320))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="SET NULL"))
    is_b2b: Mapped[bool] = mapped_column(Boolean, default=False, comment="REST `b2b?`")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    subtotal_price: Mapped[Decimal | None] = mapped_column(MONEY)
    total_tax: Mapped[Decimal | None] = mapped_column(MONEY)
    total_price: Mapped[Decimal | None] = mapped_column(MONEY)
    line_count: Mapped[int | None] = mapped_column(Integer)
    invoice_url: Mapped[str | None] = mapped_column(Text)
    invoice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_shopify_id: Mapped[int | None] = mapped_column(BigInteger, comment="the order it became")
    payment_terms_name: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[str | None] = mapped_column(Text, comment="normalized 'a, b' list")
    note: Mapped[str | None] = mapped_column(Text)


class CrmPurchasingSummary(Base):
    """Shopify's lifetime figures for one customer, from the newest customers/purchasing_summary."""

    __tablename__ = "crm_purchasing_summary"
    # The shop index serves shop/redact, which deletes by shop.
    __table_args__ = (UniqueConstraint("customer_id"), Index("ix_crm_purchasing_summary_shop_id", "shop_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    orders_count: Mapped[int] = mapped_column(Integer, comment="Shopify's numberOfOrders")
    amount_spent: Mapped[Decimal] = mapped_column(MONEY, comment="Shopify's amountSpent")
    currency: Mapped[str] = mapped_column(String(3))
    last_order_shopify_id: Mapped[int | None] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, comment="occurredAt of the applied payload")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CrmCustomerTagChange(Base):
    """The newest tag event seen for one customer and tag (case-insensitive): added or removed, and when."""

    __tablename__ = "crm_customer_tag_change"
    __table_args__ = (
        UniqueConstraint("customer_id", "tag_key"),
        Index("ix_crm_customer_tag_change_shop_id", "shop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    tag_key: Mapped[str] = mapped_column(String(255), comment="the tag case-folded")
    present: Mapped[bool] = mapped_column(Boolean, comment="added (true) or removed (false)")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, comment="occurredAt of that event")
