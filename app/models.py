"""Tenancy models: the shop that owns every row, its Shopify tokens and its API keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow


class Shop(Base):
    """A Shopify store that installed Tradeline; the tenant that owns every other row."""

    __tablename__ = "app_shop"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True, comment="the myshopify domain")
    shopify_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    plan: Mapped[str | None] = mapped_column(String(64), comment="Shopify plan name")
    currency: Mapped[str] = mapped_column(String(3), default="USD", comment="ISO 4217 code")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", comment="IANA zone name")
    scopes: Mapped[str] = mapped_column(Text, default="", comment="granted scopes, comma separated")
    installed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tokens: Mapped[list[ShopToken]] = relationship(back_populates="shop", cascade="all, delete-orphan")

    @property
    def is_installed(self) -> bool:
        return self.installed_at is not None and self.uninstalled_at is None

    @property
    def handle(self) -> str:
        """The store handle, as in admin.shopify.com/store/<handle>."""
        return self.domain.removesuffix(".myshopify.com")


class AccessMode(enum.StrEnum):
    OFFLINE = "offline"  # the shop's own token, used by jobs; one live token per shop
    ONLINE = "online"  # a staff member's token, scoped to what that member may do


class ShopToken(Base):
    """A Shopify access token (and refresh token, when expiring), encrypted at rest."""

    __tablename__ = "app_shop_token"
    __table_args__ = (UniqueConstraint("shop_id", "access_mode", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    access_mode: Mapped[AccessMode] = mapped_column(
        Enum(AccessMode, name="app_access_mode", values_callable=lambda e: [m.value for m in e])
    )
    # 0 for the offline token, so the unique key also holds on backends where NULLs differ.
    user_id: Mapped[int] = mapped_column(BigInteger, default=0, comment="Shopify staff id; 0 = offline")
    access_token_enc: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_email: Mapped[str | None] = mapped_column(String(320))
    user_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop] = relationship(back_populates="tokens")


class ApiKey(Base):
    """A per-shop REST API key; only its SHA-256 digest is stored, the key is shown once."""

    __tablename__ = "app_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(16), unique=True, comment="public part, for lookup")
    digest: Mapped[str] = mapped_column(String(64), comment="hex SHA-256 of the whole key")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
