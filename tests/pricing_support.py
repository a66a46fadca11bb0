"""Small factories for pricing tests: catalog rows, buyers and price lists, inserted through the ORM.

Every factory takes the UnitOfWork and a shop id, flushes, and returns the row, so a test reads as a
list of facts ("a list at 12 % off for the tag vip"). Shopify ids come from one counter so rows of
two shops never collide.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from app.db import UnitOfWork
from crm.models import (
    CrmCompany,
    CrmCompanyLocation,
    CrmCustomer,
    CrmCustomerTag,
    CrmProduct,
    CrmVariant,
)
from pricing.models import (
    AdjustmentScope,
    AssignmentTarget,
    CollectionProduct,
    Precedence,
    PriceAdjustment,
    PriceBase,
    PriceEntry,
    PriceList,
    PriceListAssignment,
    PriceListStatus,
    PricingSettings,
    QuantityRule,
    TierKind,
    VolumeTier,
)
from tests.crm_support import make_shop

__all__ = [
    "add_adjustment",
    "add_collection_product",
    "add_entry",
    "add_rule",
    "add_tier",
    "assign",
    "make_company",
    "make_customer",
    "make_location",
    "make_price_list",
    "make_product",
    "make_shop",
    "make_variant",
    "set_precedence",
]

_ids = itertools.count(9_000_000_001)


def _next_id() -> int:
    return next(_ids)


def _flush(uow: UnitOfWork, row: object) -> None:
    uow.session.add(row)
    uow.session.flush()


def make_product(
    uow: UnitOfWork, shop_id: int, *, title: str = "Widget", shopify_id: int | None = None
) -> CrmProduct:
    """A catalog product."""
    row = CrmProduct(shop_id=shop_id, shopify_id=shopify_id or _next_id(), title=title)
    _flush(uow, row)
    return row


def make_variant(
    uow: UnitOfWork,
    shop_id: int,
    product: CrmProduct | None = None,
    *,
    price: str | Decimal | None = "20.00",
    compare_at: str | Decimal | None = None,
    sku: str | None = None,
    currency: str = "USD",
    title: str | None = None,
) -> CrmVariant:
    """A variant with a retail price (and compare-at price); a product of its own when none is given."""
    product = product or make_product(uow, shop_id)
    shopify_id = _next_id()
    row = CrmVariant(
        shop_id=shop_id,
        product_id=product.id,
        shopify_id=shopify_id,
        title=title or f"Variant {shopify_id}",
        sku=sku if sku is not None else f"SKU-{shopify_id}",
        price=None if price is None else Decimal(price),
        compare_at_price=None if compare_at is None else Decimal(compare_at),
        currency=currency,
    )
    _flush(uow, row)
    return row


def make_company(uow: UnitOfWork, shop_id: int, name: str = "Acme Wholesale") -> CrmCompany:
    """A B2B company."""
    row = CrmCompany(shop_id=shop_id, shopify_id=_next_id(), name=name)
    _flush(uow, row)
    return row


def make_location(uow: UnitOfWork, shop_id: int, company: CrmCompany, name: str = "HQ") -> CrmCompanyLocation:
    """A location of `company`."""
    row = CrmCompanyLocation(shop_id=shop_id, shopify_id=_next_id(), company_id=company.id, name=name)
    _flush(uow, row)
    return row


def make_customer(
    uow: UnitOfWork,
    shop_id: int,
    *,
    tags: Iterable[str] = (),
    company: CrmCompany | None = None,
    email: str | None = None,
) -> CrmCustomer:
    """A customer with `tags` (as Shopify spells them), optionally a contact of `company`."""
    shopify_id = _next_id()
    row = CrmCustomer(
        shop_id=shop_id,
        shopify_id=shopify_id,
        email=email or f"buyer{shopify_id}@example.com",
        company_id=company.id if company else None,
    )
    _flush(uow, row)
    for tag in tags:
        uow.session.add(CrmCustomerTag(shop_id=shop_id, customer_id=row.id, tag=tag))
    uow.session.flush()
    return row


def make_price_list(
    uow: UnitOfWork,
    shop_id: int,
    name: str = "Wholesale",
    *,
    currency: str = "USD",
    status: PriceListStatus = PriceListStatus.ACTIVE,
    priority: int = 0,
    base: PriceBase = PriceBase.RETAIL,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    order_minimum: str | Decimal | None = None,
    default: bool = False,
) -> PriceList:
    """A price list (ACTIVE unless told); `default=True` also assigns it to every buyer."""
    row = PriceList(
        shop_id=shop_id,
        name=name,
        currency=currency,
        status=status,
        priority=priority,
        base=base,
        starts_at=starts_at,
        ends_at=ends_at,
        order_minimum=None if order_minimum is None else Decimal(order_minimum),
    )
    _flush(uow, row)
    if default:
        assign(uow, row, AssignmentTarget.DEFAULT)
    return row


def add_entry(
    uow: UnitOfWork, price_list: PriceList, variant: CrmVariant, price: str | Decimal
) -> PriceEntry:
    """A fixed price for `variant` in `price_list`."""
    row = PriceEntry(
        shop_id=price_list.shop_id, price_list_id=price_list.id, variant_id=variant.id, price=Decimal(price)
    )
    _flush(uow, row)
    return row


def add_adjustment(
    uow: UnitOfWork,
    price_list: PriceList,
    percent: str | Decimal,
    *,
    scope: AdjustmentScope = AdjustmentScope.ALL,
    scope_shopify_id: int | None = None,
) -> PriceAdjustment:
    """A signed percentage (-15 = 15 % off), list-wide or for a collection/product/variant (Shopify id)."""
    row = PriceAdjustment(
        shop_id=price_list.shop_id,
        price_list_id=price_list.id,
        scope=scope,
        scope_shopify_id=scope_shopify_id,
        percent=Decimal(percent),
    )
    _flush(uow, row)
    return row


def add_tier(
    uow: UnitOfWork,
    price_list: PriceList,
    min_quantity: int,
    value: str | Decimal,
    *,
    kind: TierKind = TierKind.FIXED,
    variant: CrmVariant | None = None,
) -> VolumeTier:
    """A volume tier: from `min_quantity` units, a fixed price or `value` % off; list-wide without variant."""
    row = VolumeTier(
        shop_id=price_list.shop_id,
        price_list_id=price_list.id,
        variant_id=variant.id if variant else None,
        min_quantity=min_quantity,
        kind=kind,
        value=Decimal(value),
    )
    _flush(uow, row)
    return row


def add_rule(
    uow: UnitOfWork,
    price_list: PriceList,
    *,
    minimum: int = 1,
    maximum: int | None = None,
    increment: int = 1,
    variant: CrmVariant | None = None,
) -> QuantityRule:
    """A quantity rule; list-wide without variant."""
    row = QuantityRule(
        shop_id=price_list.shop_id,
        price_list_id=price_list.id,
        variant_id=variant.id if variant else None,
        minimum=minimum,
        maximum=maximum,
        increment=increment,
    )
    _flush(uow, row)
    return row


def assign(
    uow: UnitOfWork, price_list: PriceList, target: AssignmentTarget, value: object = None
) -> PriceListAssignment:
    """Assign a list to a location/company/customer (row or id), a tag or a segment id; DEFAULT: none."""
    row = PriceListAssignment(shop_id=price_list.shop_id, price_list_id=price_list.id, target=target)
    ident = getattr(value, "id", value)
    if target is AssignmentTarget.COMPANY_LOCATION:
        row.company_location_id = ident  # type: ignore[assignment]
    elif target is AssignmentTarget.COMPANY:
        row.company_id = ident  # type: ignore[assignment]
    elif target is AssignmentTarget.CUSTOMER:
        row.customer_id = ident  # type: ignore[assignment]
    elif target is AssignmentTarget.CUSTOMER_TAG:
        row.customer_tag = str(value).strip()
    elif target is AssignmentTarget.SEGMENT:
        row.segment_id = ident  # type: ignore[assignment]
    _flush(uow, row)
    return row


def set_precedence(uow: UnitOfWork, shop_id: int, precedence: Precedence) -> PricingSettings:
    """The shop's precedence mode."""
    row = PricingSettings(shop_id=shop_id, precedence=precedence)
    _flush(uow, row)
    return row


def add_collection_product(
    uow: UnitOfWork, shop_id: int, collection_shopify_id: int, product: CrmProduct
) -> CollectionProduct:
    """`product` is a member of the Shopify collection `collection_shopify_id`."""
    row = CollectionProduct(
        shop_id=shop_id, collection_shopify_id=collection_shopify_id, product_shopify_id=product.shopify_id
    )
    _flush(uow, row)
    return row
