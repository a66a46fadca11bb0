"""Generated order histories for analytics tests: customers, companies and orders inserted in bulk."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from app.db import UnitOfWork
from crm.models import CrmCompany, CrmCustomer, CrmOrder

AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class History:
    customer_ids: list[int]
    company_ids: list[int]


def generate_history(
    uow: UnitOfWork, shop_id: int, *, customers: int, companies: int = 0, seed: int = 1, days: int = 720
) -> History:
    """Customers (a third of them in companies) with 0-12 orders each over `days` before AS_OF.

    Amounts are whole dollars (exact in SQLite's doubles, so sums tie exactly as in Decimal); a few
    orders are cancelled, test, or recorded in another currency, to exercise the counting rules.
    """
    rng = random.Random(seed)
    session = uow.session
    if companies:
        session.execute(
            insert(CrmCompany),
            [
                {"shop_id": shop_id, "shopify_id": 9_000_000 + i, "name": f"Company {i}"}
                for i in range(companies)
            ],
        )
    company_ids = list(session.scalars(select(CrmCompany.id).where(CrmCompany.shop_id == shop_id)))
    if customers:
        session.execute(
            insert(CrmCustomer),
            [
                {
                    "shop_id": shop_id,
                    "shopify_id": 1_000_000 + i,
                    "email": f"buyer{i}@example.com",
                    "company_id": company_ids[i % len(company_ids)] if company_ids and i % 3 == 0 else None,
                }
                for i in range(customers)
            ],
        )
    rows = session.execute(
        select(CrmCustomer.id, CrmCustomer.company_id).where(CrmCustomer.shop_id == shop_id)
    ).all()
    orders = []
    number = 0
    for customer_id, company_id in rows:
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3, 4, 6, 12))):
            number += 1
            moment = AS_OF - timedelta(seconds=rng.randrange(days * 86400))
            orders.append(
                {
                    "shop_id": shop_id,
                    "shopify_id": 5_000_000 + number,
                    "customer_id": customer_id,
                    "company_id": company_id,
                    "is_b2b": company_id is not None,
                    "currency": "EUR" if rng.random() < 0.02 else "USD",
                    "current_total_price": Decimal(rng.randrange(5, 900)),
                    "total_price": Decimal(rng.randrange(5, 900)),
                    "processed_at": moment,
                    "shopify_created_at": moment,
                    "cancelled_at": moment if rng.random() < 0.03 else None,
                    "test": rng.random() < 0.01,
                }
            )
    if orders:
        session.execute(insert(CrmOrder), orders)
    session.flush()
    return History(customer_ids=[r[0] for r in rows], company_ids=company_ids)
