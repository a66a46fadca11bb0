"""The mirrored accounts: companies with their locations and contacts, customers with their tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from crm.models.columns import JSON_DOC, CustomerState, LifetimeRollup, MarketingState, ShopifyMirror, _enum


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
