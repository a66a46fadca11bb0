"""Seeding the demo shop through the CRM services: complete, exact, idempotent, removable."""

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.db import UnitOfWork
from app.demo.generator import DemoSize, generate
from app.demo.seed import DEMO_SHOP_DOMAIN, is_seeded, remove_demo_shop, seed_demo
from app.models import Shop
from crm.models import CrmCompany, CrmCustomer, CrmOrder, CrmTimelineEvent

TODAY = date(2026, 11, 22)
SIZE = DemoSize(companies=20, retail_customers=10)


def _events(uow: UnitOfWork, shop_id: int) -> int:
    return uow.session.scalar(
        select(func.count()).select_from(CrmTimelineEvent).where(CrmTimelineEvent.shop_id == shop_id)
    )  # type: ignore[return-value]


def test_the_seed_installs_the_demo_shop_and_imports_everything(uow: UnitOfWork) -> None:
    result = seed_demo(uow, today=TODAY, size=SIZE)
    shop = uow.session.get(Shop, result.shop_id)
    assert shop is not None
    assert (shop.domain, shop.name, shop.currency, shop.timezone, shop.plan, shop.is_installed) == (
        DEMO_SHOP_DOMAIN,
        "Demo Wholesale Co.",
        "USD",
        "America/Chicago",
        "Shopify Plus",
        True,
    )
    topics = Counter(w.topic for w in generate(today=TODAY, size=SIZE))
    assert result.payloads == sum(topics.values())
    assert result.counts == {
        "customers": topics["customers/create"],
        "companies": topics["companies/create"],
        "products": topics["products/create"],
        "variants": sum(
            len(w.payload["variants"]) for w in generate(today=TODAY, size=SIZE) if "variants" in w.payload
        ),
        "orders": topics["orders/create"],
    }
    assert is_seeded(uow)


def test_company_rollups_match_the_generated_orders(uow: UnitOfWork) -> None:
    result = seed_demo(uow, today=TODAY, size=SIZE)
    expected: dict[int, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    for webhook in generate(today=TODAY, size=SIZE):
        order = webhook.payload
        if webhook.topic == "orders/create" and order["company"] and order["cancelled_at"] is None:
            count, spent = expected[order["company"]["id"]]
            expected[order["company"]["id"]] = (count + 1, spent + Decimal(order["current_total_price"]))
    rows = uow.session.execute(
        select(CrmCompany.shopify_id, CrmCompany.orders_count, CrmCompany.total_spent).where(
            CrmCompany.shop_id == result.shop_id, CrmCompany.orders_count > 0
        )
    )
    assert {sid: (count, spent) for sid, count, spent in rows} == dict(expected)
    linked = uow.session.scalar(
        select(func.count())
        .select_from(CrmOrder)
        .where(CrmOrder.shop_id == result.shop_id, CrmOrder.is_b2b.is_(True), CrmOrder.company_id.is_(None))
    )
    assert linked == 0
    tagged = uow.session.scalars(
        select(CrmCustomer).where(CrmCustomer.shop_id == result.shop_id, CrmCustomer.orders_count > 0)
    ).all()
    assert all(c.tags and c.email_marketing_state is not None for c in tagged)


def test_seeding_twice_changes_nothing(uow: UnitOfWork) -> None:
    first = seed_demo(uow, today=TODAY, size=SIZE)
    events = _events(uow, first.shop_id)
    second = seed_demo(uow, today=TODAY, size=SIZE)
    assert second.shop_id == first.shop_id
    assert second.counts == first.counts
    assert _events(uow, first.shop_id) == events
    assert all(tally["created"] == 0 and tally["updated"] == 0 for tally in second.outcomes.values())
    assert uow.session.scalar(select(func.count()).select_from(Shop)) == 1


def test_removing_the_demo_shop_removes_its_data(uow: UnitOfWork) -> None:
    result = seed_demo(uow, today=TODAY, size=SIZE)
    assert remove_demo_shop(uow) is True
    assert uow.session.get(Shop, result.shop_id) is None
    for model in (CrmCustomer, CrmCompany, CrmOrder, CrmTimelineEvent):
        assert uow.session.scalar(select(func.count()).select_from(model)) == 0
    assert remove_demo_shop(uow) is False
    assert is_seeded(uow) is False
