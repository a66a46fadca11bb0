"""The demo shop's price lists, made through pricing.service.lists once the CRM data is in.

Three active lists a wholesale merchant typically runs: a default list 30 % below retail with a volume
break, contract prices for the best customer's most ordered variants (with a deeper tier and a case-pack
rule), and a VIP tag list. Deterministic: picks depend only on the seeded data, ordered with ties broken
by Shopify id. Idempotent: a shop that already has price lists is left as it is.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.db import UnitOfWork
from app.money import round_money
from crm.models import CrmCompany, CrmOrder, CrmOrderLine, CrmVariant
from pricing.models import PriceList, TierKind
from pricing.service import lists

DEMO_ACTOR = "demo"
DEFAULT_LIST = "Wholesale default"
VIP_LIST = "VIP accounts"
CONTRACT_VARIANTS = 8
# Contract prices: 38 % below retail, 42 % from 48 units (cents rounded half-up).
CONTRACT_FACTOR = Decimal("0.62")
CONTRACT_TIER_FACTOR = Decimal("0.58")
CONTRACT_TIER_UNITS = 48
CASE_PACK = 6


def seed_price_lists(uow: UnitOfWork, *, shop_id: int) -> list[int]:
    """Create and activate the demo lists (ids returned); nothing when the shop has price lists already."""
    session = uow.session
    if session.scalar(select(PriceList.id).where(PriceList.shop_id == shop_id).limit(1)) is not None:
        return []
    created = [_default_list(uow, shop_id), _vip_list(uow, shop_id)]
    contract = _contract_list(uow, shop_id)
    if contract is not None:
        created.append(contract)
    for price_list_id in created:
        lists.activate_price_list(uow, shop_id=shop_id, price_list_id=price_list_id)
    return created


def _default_list(uow: UnitOfWork, shop_id: int) -> int:
    price_list = lists.create_price_list(
        uow,
        shop_id=shop_id,
        name=DEFAULT_LIST,
        description="Every wholesale buyer: 30 % off retail, 5 % more from 24 units of a line.",
        order_minimum="150.00",
    )
    lists.set_adjustment(uow, shop_id=shop_id, price_list_id=price_list.id, scope="all", percent="-30")
    lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=None,
        tiers=[lists.TierInput(24, TierKind.PERCENT_OFF, Decimal(5))],
    )
    lists.add_assignment(
        uow, shop_id=shop_id, price_list_id=price_list.id, target="default", actor=DEMO_ACTOR
    )
    return price_list.id


def _vip_list(uow: UnitOfWork, shop_id: int) -> int:
    price_list = lists.create_price_list(
        uow,
        shop_id=shop_id,
        name=VIP_LIST,
        description="Customers tagged vip (contacts of the larger accounts): 35 % off retail.",
        priority=10,
    )
    lists.set_adjustment(uow, shop_id=shop_id, price_list_id=price_list.id, scope="all", percent="-35")
    lists.add_assignment(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        target="customer_tag",
        customer_tag="vip",
        actor=DEMO_ACTOR,
    )
    return price_list.id


def _contract_list(uow: UnitOfWork, shop_id: int) -> int | None:
    """Fixed prices for the top company's most ordered variants; None when no company has ordered."""
    session = uow.session
    company = session.execute(
        select(CrmCompany.id, CrmCompany.name)
        .where(CrmCompany.shop_id == shop_id, CrmCompany.deleted_at.is_(None), CrmCompany.orders_count > 0)
        .order_by(CrmCompany.total_spent.desc(), CrmCompany.shopify_id)
        .limit(1)
    ).first()
    if company is None:
        return None
    units = func.sum(CrmOrderLine.quantity)
    top = session.execute(
        select(CrmVariant.id, CrmVariant.price)
        .join(CrmOrderLine, CrmOrderLine.shopify_variant_id == CrmVariant.shopify_id)
        .join(CrmOrder, CrmOrder.id == CrmOrderLine.order_id)
        .where(
            CrmOrder.shop_id == shop_id,
            CrmOrder.company_id == company.id,
            CrmVariant.shop_id == shop_id,
            CrmVariant.deleted_at.is_(None),
            CrmVariant.price.is_not(None),
        )
        .group_by(CrmVariant.id, CrmVariant.price, CrmVariant.shopify_id)
        .order_by(units.desc(), CrmVariant.shopify_id)
        .limit(CONTRACT_VARIANTS)
    ).all()
    if not top:
        return None
    price_list = lists.create_price_list(
        uow,
        shop_id=shop_id,
        name=f"{company.name} contract"[:255],
        description=f"Contract prices for the {len(top)} variants {company.name} orders most.",
        priority=20,
    )
    currency = price_list.currency
    lists.bulk_upsert_entries(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        rows=[
            lists.EntryInput(variant_id=vid, price=round_money(price * CONTRACT_FACTOR, currency))
            for vid, price in top
        ],
    )
    best_id, best_price = top[0]
    lists.replace_tiers(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=best_id,
        tiers=[
            lists.TierInput(
                CONTRACT_TIER_UNITS, TierKind.FIXED, round_money(best_price * CONTRACT_TIER_FACTOR, currency)
            )
        ],
    )
    lists.set_quantity_rule(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        variant_id=best_id,
        minimum=CASE_PACK,
        increment=CASE_PACK,
    )
    lists.add_assignment(
        uow,
        shop_id=shop_id,
        price_list_id=price_list.id,
        target="company",
        company_id=company.id,
        actor=DEMO_ACTOR,
    )
    return price_list.id
