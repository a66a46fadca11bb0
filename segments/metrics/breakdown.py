"""Per sales rep totals of a period in one GROUP BY: the table beside the shop's metrics."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.db import UnitOfWork
from app.money import round_money
from segments.counted import counted_where, shop_money
from segments.metrics._sql import as_decimal, typed
from segments.metrics.period import Period

SALES_REP = (
    "A sales rep's orders are those placed for companies they manage, and those of customers they manage "
    "when the company has no rep (or the order has no company); emails compare case-insensitively. "
    "Revenue and AOV in the shop's currency, orders in any currency, customers = distinct buyers."
)


@dataclass(frozen=True)
class RepTotals:
    """One sales rep's counted orders of the period (`sales_rep_email` None: accounts without a rep)."""

    sales_rep_email: str | None
    orders: int
    revenue: Decimal
    customers: int
    average_order_value: Decimal | None
    definition: str = SALES_REP


def by_sales_rep(uow: UnitOfWork, *, shop_id: int, currency: str, period: Period) -> list[RepTotals]:
    """Orders, revenue, buyers and AOV per sales rep over the period, biggest revenue first."""
    sql = f"""
        SELECT LOWER(COALESCE(co.sales_rep_email, cu.sales_rep_email)) AS rep,
               COUNT(*) AS orders,
               SUM(CASE WHEN o.currency = :currency THEN 1 ELSE 0 END) AS own_orders,
               COALESCE(SUM({shop_money("o")}), 0) AS revenue,
               COUNT(DISTINCT o.customer_id) AS customers
        FROM crm_order o
        LEFT JOIN crm_customer cu ON cu.id = o.customer_id
        LEFT JOIN crm_company co ON co.id = o.company_id
        WHERE o.shop_id = :shop_id AND {counted_where("o")}
          AND o.processed_at >= :start_at AND o.processed_at < :end_at
        GROUP BY LOWER(COALESCE(co.sales_rep_email, cu.sales_rep_email))"""
    params = {
        "shop_id": shop_id,
        "currency": currency,
        "start_at": period.start_at,
        "end_at": period.end_at,
    }
    rows = uow.session.execute(typed(sql, moments=["start_at", "end_at"]), params).all()
    result = []
    for row in rows:
        revenue = round_money(as_decimal(row.revenue), currency)
        own = int(row.own_orders)
        aov = round_money(revenue / own, currency) if own else None
        result.append(RepTotals(row.rep, int(row.orders), revenue, int(row.customers), aov))
    # Biggest first; accounts without a rep last among equals, then by email for a stable order.
    return sorted(result, key=lambda r: (-r.revenue, r.sales_rep_email is None, r.sales_rep_email or ""))
