"""Factories for the price-list service and API tests: a shop's catalog and accounts as plain CRM rows,
and a snapshot of every pricing table to prove a refused call changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork
from crm.models import (
    CrmCompany,
    CrmCompanyLocation,
    CrmCustomer,
    CrmCustomerTag,
    CrmProduct,
    CrmTimelineEvent,
    CrmVariant,
)
from pricing.models import (
    PriceAdjustment,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PricingSettings,
    QuantityRule,
    VolumeTier,
)
from tests import crm_support

PRICING_MODELS = (
    PriceList,
    PriceEntry,
    PriceAdjustment,
    VolumeTier,
    QuantityRule,
    PriceListAssignment,
    PricingSettings,
    CrmTimelineEvent,
)


@dataclass
class Catalog:
    """A shop with products, variants, a company with two locations, customers; all ids are row ids."""

    shop_id: int
    products: list[CrmProduct] = field(default_factory=list)
    variants: list[CrmVariant] = field(default_factory=list)
    company: CrmCompany | None = None
    locations: list[CrmCompanyLocation] = field(default_factory=list)
    customers: list[CrmCustomer] = field(default_factory=list)


def add_catalog(
    uow: UnitOfWork, shop_id: int, *, base: int = 1000, products: int = 2, variants_per_product: int = 2
) -> Catalog:
    """Products "Product <n>" with variants SKU-<base+i> priced 10.00, 20.00, ...; a company, locations,
    customers (the first tagged "VIP", "wholesale"). `base` keeps Shopify ids apart between shops.
    """
    session = uow.session
    catalog = Catalog(shop_id)
    number = 0
    for p in range(products):
        product = CrmProduct(shop_id=shop_id, shopify_id=base * 100 + p, title=f"Product {base + p}")
        session.add(product)
        session.flush()
        catalog.products.append(product)
        for _ in range(variants_per_product):
            number += 1
            variant = CrmVariant(
                shop_id=shop_id,
                shopify_id=base * 1000 + number,
                product_id=product.id,
                title=f"Size {number}",
                sku=f"SKU-{base + number}",
                price=Decimal(10 * number),
                compare_at_price=Decimal(12 * number),
            )
            session.add(variant)
            catalog.variants.append(variant)
    company = CrmCompany(shop_id=shop_id, shopify_id=base * 10, name=f"Company {base}")
    session.add(company)
    session.flush()
    catalog.company = company
    for n in range(2):
        location = CrmCompanyLocation(
            shop_id=shop_id, shopify_id=base * 10 + n, company_id=company.id, name=f"Depot {n + 1}"
        )
        session.add(location)
        catalog.locations.append(location)
    for n in range(2):
        customer = CrmCustomer(
            shop_id=shop_id,
            shopify_id=base * 10 + n,
            first_name="Buyer",
            last_name=f"{base}-{n}",
            email=f"buyer{base}-{n}@example.com",
            company_id=company.id,
        )
        session.add(customer)
        catalog.customers.append(customer)
    session.flush()
    for tag in ("VIP", "wholesale"):
        session.add(CrmCustomerTag(shop_id=shop_id, customer_id=catalog.customers[0].id, tag=tag))
    session.flush()
    return catalog


def make_shop(uow: UnitOfWork, domain: str = "acme.myshopify.com", currency: str = "USD") -> int:
    """An installed shop; returns its id."""
    return crm_support.make_shop(uow, domain=domain, currency=currency)


def snapshot(uow: UnitOfWork) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every pricing table (and the timeline), as plain tuples, to compare before/after."""
    session = uow.session
    session.flush()
    session.expire_all()
    result: dict[str, list[tuple[Any, ...]]] = {}
    for model in PRICING_MODELS:
        table = model.__table__
        rows = session.execute(select(table).order_by(table.c.id)).all()
        result[table.name] = [tuple(row) for row in rows]
    return result
