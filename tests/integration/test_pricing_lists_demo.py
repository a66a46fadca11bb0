"""The demo seed's price lists: made through the list service, active, deterministic, seeded once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.db import UnitOfWork
from app.demo.generator import DemoSize
from app.demo.seed import seed_demo
from app.money import round_money
from crm.models import CrmCompany, CrmCustomer, CrmCustomerTag, CrmVariant
from pricing.models import AssignmentTarget, PriceEntry, PriceList, PriceListStatus
from pricing.rules import LineRequest
from pricing.service import lists, resolve

TODAY = date(2026, 11, 22)
SIZE = DemoSize(companies=20, retail_customers=10)


def _summaries(uow: UnitOfWork, shop_id: int) -> list[lists.PriceListSummary]:
    return lists.list_price_lists(uow, shop_id=shop_id, sort="id").items


def test_the_demo_seeds_three_active_lists(uow: UnitOfWork) -> None:
    # when
    result = seed_demo(uow, today=TODAY, size=SIZE)
    # then
    summaries = _summaries(uow, result.shop_id)
    top = uow.session.scalars(
        select(CrmCompany)
        .where(CrmCompany.shop_id == result.shop_id, CrmCompany.orders_count > 0)
        .order_by(CrmCompany.total_spent.desc(), CrmCompany.shopify_id)
    ).first()
    assert top is not None
    assert [
        (
            s.price_list.name,
            s.price_list.status,
            s.entries_count,
            s.adjustments_count,
            s.tiers_count,
            s.rules_count,
        )
        for s in summaries
    ] == [
        ("Wholesale default", PriceListStatus.ACTIVE, 0, 1, 1, 0),
        ("VIP accounts", PriceListStatus.ACTIVE, 0, 1, 0, 0),
        (f"{top.name} contract", PriceListStatus.ACTIVE, 8, 0, 1, 1),
    ]
    targets = [
        [
            view.assignment.target
            for view in lists.list_assignments(uow, shop_id=result.shop_id, price_list_id=s.price_list.id)
        ]
        for s in summaries
    ]
    assert targets == [
        [AssignmentTarget.DEFAULT],
        [AssignmentTarget.CUSTOMER_TAG],
        [AssignmentTarget.COMPANY],
    ]
    # Contract prices are 62 % of retail, rounded to the cent.
    contract = summaries[2].price_list
    rows = uow.session.execute(
        select(PriceEntry.price, CrmVariant.price)
        .join(CrmVariant, CrmVariant.id == PriceEntry.variant_id)
        .where(PriceEntry.price_list_id == contract.id)
    ).all()
    assert all(price == round_money(retail * Decimal("0.62"), "USD") for price, retail in rows)


def test_seeding_again_adds_no_lists(uow: UnitOfWork) -> None:
    first = seed_demo(uow, today=TODAY, size=SIZE)
    seed_demo(uow, today=TODAY, size=SIZE)
    assert uow.session.scalar(select(func.count()).select_from(PriceList)) == 3
    assert [s.price_list.name for s in _summaries(uow, first.shop_id)][:2] == [
        "Wholesale default",
        "VIP accounts",
    ]


def test_a_vip_contact_pays_the_vip_price(uow: UnitOfWork) -> None:
    result = seed_demo(uow, today=TODAY, size=SIZE)
    customer_id = uow.session.scalar(
        select(CrmCustomer.id)
        .join(CrmCustomerTag, CrmCustomerTag.customer_id == CrmCustomer.id)
        .where(CrmCustomer.shop_id == result.shop_id, func.lower(CrmCustomerTag.tag) == "vip")
        .order_by(CrmCustomer.shopify_id)
        .limit(1)
    )
    variant = uow.session.scalars(
        select(CrmVariant).where(CrmVariant.shop_id == result.shop_id).order_by(CrmVariant.shopify_id)
    ).first()
    assert customer_id is not None and variant is not None and variant.price is not None
    buyer = resolve.load_buyer(uow, shop_id=result.shop_id, customer_id=customer_id)
    cart = resolve.price_lines(uow, shop_id=result.shop_id, buyer=buyer, lines=[LineRequest(variant.id, 1)])
    line = cart.lines[0]
    assert line.unit_price == round_money(variant.price * Decimal("0.65"), "USD")
    assert line.source == "adjustment"
