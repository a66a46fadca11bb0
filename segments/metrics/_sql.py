"""SQL pieces the metrics share: the scoped counted orders, the month table, typed parameters.

Every metric is a handful of set-based statements (GROUP BY, window functions) that run unchanged on
PostgreSQL and SQLite >= 3.25; none loops over customers. Calendar months of the shop's timezone are
passed in as a small table of UTC bounds (SQLite knows no time zones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.sql.elements import TextClause

from app.db import UTCDateTime
from segments.counted import counted_where, order_value, shop_money
from segments.metrics.period import Month
from segments.rfm import epoch_seconds

MARKETING_PREFIXES = ("utm:", "referrer:")  # crm.rules.acquisition_source: tagged campaigns and referrals
SECONDS_PER_DAY = 86400
PAYBACK_MONTH_DAYS = 30


@dataclass(frozen=True)
class Scope:
    """Whose orders: the whole shop, one company's, or one sales rep's accounts."""

    company_id: int | None = None
    sales_rep_email: str | None = None

    @property
    def label(self) -> str:
        if self.company_id is not None:
            return f"company {self.company_id}"
        if self.sales_rep_email:
            return f"sales rep {self.sales_rep_email}"
        return "shop"


def counted_orders(scope: Scope) -> str:
    """CTE `counted`: the scope's counted orders before :horizon; `amount` only in the shop currency.

    Counted = the rule of segments/counted.py (as RFM counts). A sales rep's
    orders are those of companies they manage, and of customers they manage when the company has no rep.
    """
    joins, filters = "", ""
    if scope.company_id is not None:
        filters += " AND o.company_id = :scope_company_id"
    if scope.sales_rep_email:
        joins = (
            " LEFT JOIN crm_customer cu ON cu.id = o.customer_id"
            " LEFT JOIN crm_company co ON co.id = o.company_id"
        )
        filters += " AND LOWER(COALESCE(co.sales_rep_email, cu.sales_rep_email)) = :scope_rep"
    return f"""counted AS (
        SELECT o.id AS order_id, o.customer_id, o.processed_at, o.currency,
               {order_value("o")} AS value, {shop_money("o")} AS amount
        FROM crm_order o{joins}
        WHERE o.shop_id = :shop_id AND {counted_where("o")} AND o.processed_at < :horizon{filters}
    )"""


def scope_params(scope: Scope) -> dict[str, Any]:
    params: dict[str, Any] = {"false": False}
    if scope.company_id is not None:
        params["scope_company_id"] = scope.company_id
    if scope.sales_rep_email:
        params["scope_rep"] = scope.sales_rep_email.strip().lower()
    return params


def month_table(months: tuple[Month, ...]) -> tuple[str, dict[str, Any], list[str]]:
    """CTE `months(idx, starts, ends)` from bound parameters, its values, and the datetime names."""
    selects, params, names = [], {}, []
    for idx, month in enumerate(months):
        selects.append(f"SELECT {idx} AS idx, :ms{idx} AS starts, :me{idx} AS ends")
        params[f"ms{idx}"], params[f"me{idx}"] = month.start_at, month.end_at
        names += [f"ms{idx}", f"me{idx}"]
    return "months AS (" + " UNION ALL ".join(selects) + ")", params, names


def typed(sql: str, *, moments: list[str] = (), days: list[str] = ()) -> TextClause:  # type: ignore[assignment]
    """The statement with its datetime and date parameters typed (SQLite stores them as text)."""
    binds = [bindparam(name, type_=UTCDateTime) for name in moments]
    binds += [bindparam(name, type_=Date) for name in days]
    return text(sql).bindparams(*binds)


def seconds_between(dialect: str, later: str, earlier: str) -> str:
    return f"({epoch_seconds(dialect, later)} - {epoch_seconds(dialect, earlier)})"


def is_marketing(column: str) -> str:
    """SQL truth of 'this acquisition source is a marketing channel'."""
    return " OR ".join(f"SUBSTR({column}, 1, {len(p)}) = '{p}'" for p in MARKETING_PREFIXES)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """part / whole as a percentage with one decimal (half-up), None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def days(seconds: Decimal) -> Decimal:
    """Seconds as days with one decimal (half-up)."""
    return (seconds / SECONDS_PER_DAY).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def as_decimal(value: Any) -> Decimal:
    """A SQL number as Decimal (SQLite hands back floats for SUMs of NUMERIC; 4 places as stored)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(f"{value:.4f}")
    return Decimal(value)


def as_moment(value: Any) -> datetime | None:
    """A SQL timestamp as aware UTC (SQLite hands back text)."""
    if value is None or isinstance(value, datetime):
        return UTCDateTime().process_result_value(value, None)
    return UTCDateTime().process_result_value(datetime.fromisoformat(str(value)), None)
