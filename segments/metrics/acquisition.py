"""New customers: how many, through which channel, at what cost (CAC and payback), after how long a cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.db import UnitOfWork
from app.money import round_money
from segments.metrics._sql import (
    PAYBACK_MONTH_DAYS,
    SECONDS_PER_DAY,
    Scope,
    as_decimal,
    counted_orders,
    days,
    is_marketing,
    scope_params,
    seconds_between,
    typed,
)
from segments.metrics.definitions import CHANNEL_CAC, DEFINITIONS, PAYBACK
from segments.metrics.period import Period
from segments.metrics.values import Metric


@dataclass(frozen=True)
class NewCustomers:
    """The period's new customers: count, marketing-acquired count, sales cycle in days."""

    count: int
    marketing: int
    cycles: int  # customers whose first touch is known (the sales cycle's sample)
    cycle_median: Decimal | None
    cycle_mean: Decimal | None

    @property
    def cycle_missing(self) -> str | None:
        if self.cycles:
            return None
        if not self.count:
            return "not enough data: no new customers in the period"
        return "not enough data: no new customer has a known first touch"


@dataclass(frozen=True)
class ChannelCac:
    """One marketing channel over the period: spend, customers won, CAC and its payback."""

    channel: str
    spend: Decimal  # shop currency
    currency: str
    new_customers: int
    cac: Decimal | None
    payback_months: int | None  # 30-day months; None = not (yet) paid back, or no customers
    missing: str | None  # why cac or payback_months is None
    other_currency_spend: dict[str, Decimal]  # spend entered in another currency: not summed in
    definition: str = CHANNEL_CAC + " " + PAYBACK


FIRST_ORDERS = """firsts AS (
        SELECT customer_id, MIN(processed_at) AS first_at FROM counted
        WHERE customer_id IS NOT NULL GROUP BY customer_id
    )"""


def new_customers(
    uow: UnitOfWork, *, shop_id: int, currency: str, scope: Scope, period: Period
) -> NewCustomers:
    """Count the period's new customers, the marketing-acquired ones, and their sales cycle (one query)."""
    session: Session = uow.session
    dialect = session.get_bind().dialect.name
    middle = "rn IN ((n + 1) / 2, (n + 2) / 2)"  # one middle row for odd n, two for even n
    sql = f"""WITH {counted_orders(scope)}, {FIRST_ORDERS},
        new AS (
            SELECT f.customer_id, f.first_at, cu.acquisition_source AS source,
                   cu.shopify_created_at AS touched_at
            FROM firsts f JOIN crm_customer cu ON cu.id = f.customer_id
            WHERE f.first_at >= :start_at
        ),
        cycle AS (
            SELECT {seconds_between(dialect, "first_at", "touched_at")} AS seconds FROM new
            WHERE touched_at IS NOT NULL AND touched_at <= first_at
        ),
        ranked AS (
            SELECT seconds, ROW_NUMBER() OVER (ORDER BY seconds) AS rn, COUNT(*) OVER () AS n FROM cycle
        )
        SELECT (SELECT COUNT(*) FROM new) AS new_count,
               (SELECT COUNT(*) FROM new WHERE {is_marketing("source")}) AS marketing,
               (SELECT COUNT(*) FROM ranked) AS cycles,
               (SELECT SUM(seconds) FROM ranked) AS total_seconds,
               (SELECT SUM(seconds) FROM ranked WHERE {middle}) AS middle_seconds,
               (SELECT COUNT(*) FROM ranked WHERE {middle}) AS middle_count"""
    params = {
        "shop_id": shop_id,
        "currency": currency,
        "horizon": period.end_at,
        "start_at": period.start_at,
        **scope_params(scope),
    }
    row = session.execute(typed(sql, moments=["horizon", "start_at"]), params).one()
    cycles = int(row.cycles)
    return NewCustomers(
        count=int(row.new_count),
        marketing=int(row.marketing),
        cycles=cycles,
        cycle_median=days(Decimal(int(row.middle_seconds)) / int(row.middle_count)) if cycles else None,
        cycle_mean=days(Decimal(int(row.total_seconds)) / cycles) if cycles else None,
    )


def _spend(session: Session, shop_id: int, period: Period) -> list[Any]:
    sql = """SELECT channel, currency, SUM(amount) AS amount FROM segments_marketing_spend
        WHERE shop_id = :shop_id AND month >= :first_month AND month <= :last_month
        GROUP BY channel, currency ORDER BY channel, currency"""
    params = {
        "shop_id": shop_id,
        "first_month": period.months[0].first_day,
        "last_month": period.months[-1].first_day,
    }
    return session.execute(typed(sql, days=["first_month", "last_month"]), params).all()


def _cohort_spend(session: Session, shop_id: int, currency: str, period: Period, now: datetime) -> list[Any]:
    """Per channel: its cohort size (month_index -1), and the cohort's spend per 30-day month since."""
    dialect = session.get_bind().dialect.name
    month_index = (
        f"{seconds_between(dialect, 'processed_at', 'first_at')} / {PAYBACK_MONTH_DAYS * SECONDS_PER_DAY}"
    )
    source = "cu.acquisition_source"
    matches = f"{source} = ch.channel OR SUBSTR({source}, 1, LENGTH(ch.channel) + 1) = ch.channel || '/'"
    # Orders carry their customer's first order time (a window) and channel (the longest matching one, a
    # subquery over the few channels): no join between CTEs, which the planner cannot estimate.
    sql = f"""WITH {counted_orders(Scope())},
        tagged AS (
            SELECT customer_id, processed_at, amount,
                   MIN(processed_at) OVER (PARTITION BY customer_id) AS first_at
            FROM counted WHERE customer_id IS NOT NULL
        ),
        channels AS (
            SELECT DISTINCT channel FROM segments_marketing_spend
            WHERE shop_id = :shop_id AND month >= :first_month AND month <= :last_month
        ),
        chosen AS (
            SELECT t.customer_id, t.processed_at, t.amount, t.first_at,
                   (SELECT ch.channel FROM channels ch WHERE {matches}
                    ORDER BY LENGTH(ch.channel) DESC LIMIT 1) AS channel
            FROM tagged t JOIN crm_customer cu ON cu.id = t.customer_id
            WHERE t.first_at >= :start_at AND t.first_at < :end_at
        )
        SELECT channel, -1 AS month_index, COUNT(DISTINCT customer_id) AS value
        FROM chosen WHERE channel IS NOT NULL GROUP BY channel
        UNION ALL
        SELECT channel, {month_index} AS month_index, COALESCE(SUM(amount), 0) AS value
        FROM chosen WHERE channel IS NOT NULL GROUP BY channel, {month_index}"""
    params = {
        "shop_id": shop_id,
        "currency": currency,
        "false": False,
        "horizon": now,
        "start_at": period.start_at,
        "end_at": period.end_at,
        "first_month": period.months[0].first_day,
        "last_month": period.months[-1].first_day,
    }
    statement = typed(sql, moments=["horizon", "start_at", "end_at"], days=["first_month", "last_month"])
    return session.execute(statement, params).all()


def _payback(cac: Decimal, customers: int, monthly: dict[int, Decimal]) -> int | None:
    """The first n with cumulative spend per customer over months 0..n-1 >= CAC (None if never)."""
    cumulative = Decimal(0)
    for index in sorted(monthly):
        cumulative += monthly[index]
        if cumulative / customers >= cac:
            return index + 1
    return None


def channel_cac(
    uow: UnitOfWork, *, shop_id: int, currency: str, period: Period, now: datetime
) -> list[ChannelCac]:
    """CAC and payback for every channel with spend in the months the period touches (two queries)."""
    session: Session = uow.session
    spend: dict[str, Decimal] = {}
    foreign: dict[str, dict[str, Decimal]] = {}
    for row in _spend(session, shop_id, period):
        amount = round_money(as_decimal(row.amount), row.currency)
        if row.currency == currency:
            spend[row.channel] = amount
        else:
            foreign.setdefault(row.channel, {})[row.currency] = amount
    if not spend and not foreign:
        return []  # no channel to report: skip the cohort query, the costliest of the metrics
    sizes: dict[str, int] = {}
    monthly: dict[str, dict[int, Decimal]] = {}
    for row in _cohort_spend(session, shop_id, currency, period, now):
        if int(row.month_index) < 0:
            sizes[row.channel] = int(row.value)
        else:
            monthly.setdefault(row.channel, {})[int(row.month_index)] = as_decimal(row.value)
    result = []
    for channel in sorted(set(spend) | set(foreign)):
        amount, won = spend.get(channel, Decimal("0.00")), sizes.get(channel, 0)
        cac = round_money(amount / won, currency) if won else None
        payback = _payback(cac, won, monthly.get(channel, {})) if cac is not None else None
        if not won:
            missing = "no new customer came through this channel in the period"
        elif payback is None:
            missing = "not paid back yet"
        else:
            missing = None
        result.append(
            ChannelCac(channel, amount, currency, won, cac, payback, missing, foreign.get(channel, {}))
        )
    return result


def blended_cac(channels: list[ChannelCac], *, new_count: int, currency: str, scope: Scope) -> Metric:
    """All spend of the period's months over all new customers; none per company or sales rep."""
    label, definition = DEFINITIONS["cac"]
    if scope.company_id is not None or scope.sales_rep_email:
        missing: str | None = "marketing spend is entered per shop, not per company or sales rep"
        value = None
    else:
        spend = sum((c.spend for c in channels), Decimal(0))
        value = round_money(spend / new_count, currency) if new_count and spend else None
        missing = None
        if value is None:
            missing = (
                "not enough data: no marketing spend entered for these months"
                if not spend
                else "not enough data: no new customers in the period"
            )
    return Metric("cac", label, value, "money", definition, currency, missing)
