"""Column types, enums and mixins shared by the CRM tables."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow

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
