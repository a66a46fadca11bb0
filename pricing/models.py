"""Wholesale pricing: price lists, their fixed prices, adjustments, volume tiers, quantity rules and
who they are assigned to; plus what was published to Shopify.

Money columns follow the CRM's convention (`Numeric(18, 4)` + the list's currency; rounding only in
`app.money.round_money`). Percentages are `Numeric(7, 4)` percent points (12.5 = 12.5 %).
Variants are referenced by `crm_variant.id` (the catalog mirror); list-wide adjustments name their
scope by Shopify id, because a collection is not a row of ours and Shopify ids survive a re-sync.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from crm.models import JSON_DOC, MONEY, _enum

PERCENT = Numeric(7, 4)


class PriceListStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared: prices nobody, may be simulated and explained
    ACTIVE = "active"  # prices its buyers between starts_at and ends_at (open ends = always)
    ARCHIVED = "archived"  # retired: prices nobody, kept for history and orders that cite it


class PriceBase(enum.StrEnum):
    RETAIL = "retail"  # adjustments start from the variant's price
    COMPARE_AT = "compare_at"  # ... from its compare-at price (its price when it has none)


class Precedence(enum.StrEnum):
    LOWEST_PRICE = "lowest_price"  # Shopify's B2B rule: the lowest price among applicable lists wins
    PRIORITY = "priority"  # the applicable list with the highest priority wins; lowest price breaks ties


class AdjustmentScope(enum.StrEnum):
    ALL = "all"  # every variant the list prices
    COLLECTION = "collection"  # variants of products in a Shopify collection
    PRODUCT = "product"  # variants of one product
    VARIANT = "variant"  # one variant


class TierKind(enum.StrEnum):
    FIXED = "fixed"  # from min_quantity on, the unit price is `value`
    PERCENT_OFF = "percent_off"  # from min_quantity on, `value` percent off the list's price


class AssignmentTarget(enum.StrEnum):
    """Who a list applies to, most specific first (the order breaks price ties)."""

    COMPANY_LOCATION = "company_location"  # buyers ordering for one company location
    COMPANY = "company"  # buyers ordering for any location of a company
    CUSTOMER = "customer"  # one customer, whatever company they buy for
    CUSTOMER_TAG = "customer_tag"  # customers carrying a tag
    SEGMENT = "segment"  # members of a segment (segments/)
    DEFAULT = "default"  # every buyer priced by Tradeline (the shop's default wholesale list)


class PublishStatus(enum.StrEnum):
    QUEUED = "queued"  # a publish job is enqueued
    RUNNING = "running"  # the job is sending batches
    SUCCEEDED = "succeeded"  # Shopify holds the list as published
    FAILED = "failed"  # stopped; `error` says why; publishing again resumes
    UNSUPPORTED = "unsupported"  # the shop has no B2B catalogs: prices go through draft orders


class PricingSettings(Base):
    """Per-shop pricing choices."""

    __tablename__ = "pricing_settings"
    __table_args__ = (UniqueConstraint("shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    precedence: Mapped[Precedence] = mapped_column(
        _enum(Precedence, "pricing_precedence"), default=Precedence.LOWEST_PRICE
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PriceList(Base):
    """A named set of wholesale prices in one currency."""

    __tablename__ = "pricing_price_list"
    __table_args__ = (
        UniqueConstraint("shop_id", "name"),
        Index("ix_pricing_price_list_shop_id_status", "shop_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PriceListStatus] = mapped_column(
        _enum(PriceListStatus, "pricing_price_list_status"), default=PriceListStatus.DRAFT
    )
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="NULL = from activation")
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="NULL = open-ended")
    priority: Mapped[int] = mapped_column(
        Integer, default=0, comment="higher wins under 'priority' precedence"
    )
    base: Mapped[PriceBase] = mapped_column(_enum(PriceBase, "pricing_price_base"), default=PriceBase.RETAIL)
    order_minimum: Mapped[Decimal | None] = mapped_column(MONEY, comment="minimum subtotal of its lines")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    entries: Mapped[list[PriceEntry]] = relationship(viewonly=True)
    assignments: Mapped[list[PriceListAssignment]] = relationship(viewonly=True)


class PriceEntry(Base):
    """A fixed unit price for one variant in one list."""

    __tablename__ = "pricing_entry"
    __table_args__ = (
        UniqueConstraint("price_list_id", "variant_id"),
        Index("ix_pricing_entry_shop_id_variant_id", "shop_id", "variant_id"),
        Index("ix_pricing_entry_variant_id", "variant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("pricing_price_list.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("crm_variant.id", ondelete="CASCADE"))
    price: Mapped[Decimal] = mapped_column(MONEY)
    compare_at_price: Mapped[Decimal | None] = mapped_column(MONEY, comment="shown struck through")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PriceAdjustment(Base):
    """A percentage up or down from the list's base price, list-wide or for a collection/product/variant."""

    __tablename__ = "pricing_adjustment"
    __table_args__ = (
        UniqueConstraint("price_list_id", "scope", "scope_shopify_id"),
        Index("ix_pricing_adjustment_shop_id", "shop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("pricing_price_list.id", ondelete="CASCADE"))
    scope: Mapped[AdjustmentScope] = mapped_column(
        _enum(AdjustmentScope, "pricing_adjustment_scope"), default=AdjustmentScope.ALL
    )
    scope_shopify_id: Mapped[int | None] = mapped_column(
        BigInteger, comment="Shopify id of the collection/product/variant; NULL for 'all'"
    )
    percent: Mapped[Decimal] = mapped_column(PERCENT, comment="signed: -15 = 15 % off, 10 = 10 % up")


class VolumeTier(Base):
    """From `min_quantity` units of a line on, a fixed price or a percentage off; per variant or list-wide."""

    __tablename__ = "pricing_tier"
    __table_args__ = (
        UniqueConstraint("price_list_id", "variant_id", "min_quantity"),
        Index("ix_pricing_tier_shop_id", "shop_id"),
        Index("ix_pricing_tier_variant_id", "variant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("pricing_price_list.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_variant.id", ondelete="CASCADE"), comment="NULL = every variant of the list"
    )
    min_quantity: Mapped[int] = mapped_column(Integer)
    kind: Mapped[TierKind] = mapped_column(_enum(TierKind, "pricing_tier_kind"))
    value: Mapped[Decimal] = mapped_column(
        MONEY, comment="a unit price (fixed) or percent points (percent_off)"
    )


class QuantityRule(Base):
    """Minimum, maximum and increment of a line's quantity; per variant or list-wide."""

    __tablename__ = "pricing_quantity_rule"
    __table_args__ = (
        UniqueConstraint("price_list_id", "variant_id"),
        Index("ix_pricing_quantity_rule_shop_id", "shop_id"),
        Index("ix_pricing_quantity_rule_variant_id", "variant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("pricing_price_list.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_variant.id", ondelete="CASCADE"), comment="NULL = every variant of the list"
    )
    minimum: Mapped[int] = mapped_column(Integer, default=1)
    maximum: Mapped[int | None] = mapped_column(Integer, comment="NULL = no maximum")
    increment: Mapped[int] = mapped_column(Integer, default=1)


class PriceListAssignment(Base):
    """A list applies to a target; exactly the target's column is set (none for 'default')."""

    __tablename__ = "pricing_assignment"
    __table_args__ = (
        Index("ix_pricing_assignment_price_list_id", "price_list_id"),
        Index("ix_pricing_assignment_shop_id_target", "shop_id", "target"),
        Index("ix_pricing_assignment_company_id", "company_id"),
        Index("ix_pricing_assignment_company_location_id", "company_location_id"),
        Index("ix_pricing_assignment_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("pricing_price_list.id", ondelete="CASCADE"))
    target: Mapped[AssignmentTarget] = mapped_column(_enum(AssignmentTarget, "pricing_assignment_target"))
    company_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_company_location.id", ondelete="CASCADE")
    )
    company_id: Mapped[int | None] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    customer_tag: Mapped[str | None] = mapped_column(String(255), comment="matched case-insensitively")
    segment_id: Mapped[int | None] = mapped_column(Integer, comment="a segments/ segment id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PricePublication(Base):
    """What a price list became in Shopify (a catalog + price list), and the last publish run."""

    __tablename__ = "pricing_publication"
    __table_args__ = (UniqueConstraint("price_list_id"), Index("ix_pricing_publication_shop_id", "shop_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("pricing_price_list.id", ondelete="CASCADE"))
    status: Mapped[PublishStatus] = mapped_column(
        _enum(PublishStatus, "pricing_publish_status"), default=PublishStatus.QUEUED
    )
    shopify_catalog_id: Mapped[str | None] = mapped_column(String(255), comment="Catalog GID")
    shopify_price_list_id: Mapped[str | None] = mapped_column(String(255), comment="PriceList GID")
    done: Mapped[int] = mapped_column(Integer, default=0, comment="items sent in this run")
    total: Mapped[int] = mapped_column(Integer, default=0, comment="items to send in this run")
    unsupported: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON_DOC, default=list, comment="rules Shopify cannot express: [{rule, detail}]"
    )
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Collection(Base):
    """A Shopify collection, mirrored for collection-wide price adjustments (title and member products)."""

    __tablename__ = "pricing_collection"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    shopify_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(255))
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class CollectionProduct(Base):
    """A product's membership in a collection, by Shopify ids."""

    __tablename__ = "pricing_collection_product"
    __table_args__ = (
        UniqueConstraint("shop_id", "collection_shopify_id", "product_shopify_id"),
        Index("ix_pricing_collection_product_product", "shop_id", "product_shopify_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    collection_shopify_id: Mapped[int] = mapped_column(BigInteger)
    product_shopify_id: Mapped[int] = mapped_column(BigInteger)
