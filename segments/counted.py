"""The one "counted order" rule of the analytics (docs/segments.md, "Which orders count"), as SQL.

An order counts when it is not cancelled, not deleted in Shopify, not a test order, and has a
processed date. Its value is its current total (after refunds and order edits, else its total);
only orders in the shop's currency add money (amounts in two currencies are never summed).

RFM, CLV and the metrics write their statements as text, so the rule is given as SQL fragments over
an alias of `crm_order`; `counted_clauses` gives the same rule as SQLAlchemy conditions for code that
builds its statements with the ORM. The money fragments expect the shop currency as `:currency`.
`NOT test` is written literally (not as a parameter) so that PostgreSQL can match the partial index
`ix_crm_order_counted_customer`, whose predicate is this rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table


def counted_where(alias: str = "o") -> str:
    """SQL truth of "this order counts" (without shop or date bounds); "" for bare column names."""
    o = f"{alias}." if alias else ""
    return (
        f"{o}cancelled_at IS NULL AND {o}deleted_at IS NULL AND NOT {o}test AND {o}processed_at IS NOT NULL"
    )


def order_value(alias: str = "o") -> str:
    """The order's value: its current total after refunds and edits, else its total, else 0."""
    return f"COALESCE({alias}.current_total_price, {alias}.total_price, 0)"


def shop_money(alias: str = "o", *, otherwise: str = "NULL") -> str:
    """The order's value when it is in the shop currency (:currency), else `otherwise`."""
    return f"CASE WHEN {alias}.currency = :currency THEN {order_value(alias)} ELSE {otherwise} END"


def counted_clauses(orders: Table | Any, *, shop_id: int, currency: str | None = None) -> list[Any]:
    """The rule as SQLAlchemy conditions on the `crm_order` table (or the CrmOrder class).

    With `currency`, only the orders in that currency (for sums of money).
    """
    column: Any = orders.c if isinstance(orders, Table) else orders
    clauses = [
        column.shop_id == shop_id,
        column.cancelled_at.is_(None),
        column.deleted_at.is_(None),
        column.test.is_(False),
        column.processed_at.is_not(None),
    ]
    if currency is not None:
        clauses.append(column.currency == currency)
    return clauses
