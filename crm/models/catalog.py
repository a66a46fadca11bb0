"""The mirrored catalog: products and their variants."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from crm.models.columns import MONEY, ProductStatus, ShopifyMirror, _enum


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
