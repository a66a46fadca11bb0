"""Order history for simulator and explainer tests: orders with lines, inserted through the ORM or in bulk.

Catalog, buyers and lists come from tests/pricing_support.py; this adds what the simulator reads (counted
and uncounted orders, lines matched to variants by Shopify id, deleted variants, custom items).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine

from app.db import UnitOfWork
from crm.models import CrmCompany, CrmCompanyLocation, CrmCustomer, CrmOrder, CrmOrderLine, CrmVariant

_ids = itertools.count(7_700_000_000_001)


@dataclass(frozen=True)
class Line:
    """An order line: a variant (a bare Shopify variant id; None = a custom item), units, unit price."""

    variant: CrmVariant | int | None
    quantity: int
    price: str
    discount: str = "0"
    kept: int | None = None  # current_quantity after refunds; None = as ordered


def make_order(
    uow: UnitOfWork,
    shop_id: int,
    *,
    processed_at: datetime,
    lines: Sequence[Line],
    customer: CrmCustomer | None = None,
    company: CrmCompany | None = None,
    location: CrmCompanyLocation | None = None,
    cancelled: bool = False,
    test: bool = False,
    deleted: bool = False,
    currency: str = "USD",
) -> CrmOrder:
    """A processed order with its lines; `cancelled`, `test` or `deleted` make it one not counted."""
    order = CrmOrder(
        shop_id=shop_id,
        shopify_id=next(_ids),
        name=f"#{next(_ids) % 100_000}",
        customer_id=customer.id if customer else None,
        company_id=company.id if company else None,
        company_location_id=location.id if location else None,
        is_b2b=company is not None,
        currency=currency,
        processed_at=processed_at,
        cancelled_at=processed_at + timedelta(hours=1) if cancelled else None,
        deleted_at=processed_at + timedelta(hours=2) if deleted else None,
        test=test,
    )
    uow.session.add(order)
    uow.session.flush()
    for line in lines:
        variant_shopify_id = getattr(line.variant, "shopify_id", line.variant)
        uow.session.add(
            CrmOrderLine(
                shop_id=shop_id,
                order_id=order.id,
                shopify_id=next(_ids),
                shopify_variant_id=variant_shopify_id,
                sku=getattr(line.variant, "sku", None),
                title="Custom item" if line.variant is None else "Item",
                quantity=line.quantity,
                current_quantity=line.kept,
                price=Decimal(line.price),
                total_discount=Decimal(line.discount),
                currency=currency,
            )
        )
    uow.session.flush()
    return order


def bulk_orders(
    uow: UnitOfWork,
    shop_id: int,
    *,
    count: int,
    start: datetime,
    spacing: timedelta,
    buyers: Sequence[tuple[int | None, int | None, int | None]],
    variants: Sequence[CrmVariant],
    lines_per_order: int = 5,
) -> None:
    """`count` counted orders (round-robin over `buyers` = (customer, company, location) ids and `variants`),
    inserted with two executemany statements: for benchmarks and query-count tests.
    """
    orders: list[dict[str, Any]] = []
    for index in range(count):
        customer_id, company_id, location_id = buyers[index % len(buyers)]
        orders.append(
            {
                "shop_id": shop_id,
                "shopify_id": next(_ids),
                "customer_id": customer_id,
                "company_id": company_id,
                "company_location_id": location_id,
                "is_b2b": company_id is not None,
                "currency": "USD",
                "test": False,
                "processed_at": start + spacing * index,
            }
        )
    ids = uow.session.execute(insert(CrmOrder).returning(CrmOrder.id, sort_by_parameter_order=True), orders)
    order_ids = [row[0] for row in ids]
    lines: list[dict[str, Any]] = []
    for index, order_id in enumerate(order_ids):
        for position in range(lines_per_order):
            variant = variants[(index + position) % len(variants)]
            lines.append(
                {
                    "shop_id": shop_id,
                    "order_id": order_id,
                    "shopify_id": next(_ids),
                    "shopify_variant_id": variant.shopify_id,
                    "sku": variant.sku,
                    "quantity": 1 + (index * 7 + position * 3) % 40,
                    "price": variant.price,
                    "total_discount": Decimal(0),
                    "currency": "USD",
                }
            )
    uow.session.execute(insert(CrmOrderLine), lines)
    uow.session.flush()


class StatementCount:
    """The SELECT/INSERT/UPDATE/DELETE statements an engine ran inside a `with` block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            self.statements.append(statement)

    def __enter__(self) -> StatementCount:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)
