"""The business metrics of one shop (or company, or sales rep) over one period, each with its definition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput, NotFound
from app.models import Shop
from app.money import round_money
from crm.models import CrmCompany
from segments.metrics import acquisition
from segments.metrics._sql import (
    Scope,
    as_decimal,
    as_moment,
    counted_orders,
    month_table,
    percent,
    scope_params,
    typed,
)
from segments.metrics.period import Period, add_months, month_of
from segments.metrics.values import Metric, metric


@dataclass(frozen=True)
class CurrencyTotal:
    """Counted orders of the period recorded in a currency other than the shop's (never summed in)."""

    currency: str
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class MonthChurn:
    """One calendar month: of `active_before` customers of the month before, `churned` did not buy."""

    month: str  # "YYYY-MM"
    active_before: int
    churned: int
    rate: Decimal | None


@dataclass(frozen=True)
class MetricsReport:
    """Every business metric of a scope over a period (see `business_metrics`)."""

    shop_id: int
    scope: Scope
    period: Period
    currency: str
    metrics: dict[str, Metric]
    other_currencies: list[CurrencyTotal]
    monthly_churn: list[MonthChurn]
    channels: list[acquisition.ChannelCac]
    computed_at: datetime
    predicted_clv_computed_at: datetime | None = None


def check_scope(uow: UnitOfWork, *, shop_id: int, scope: Scope) -> None:
    """One scope at a time, and the company must be the shop's (another shop's is NotFound)."""
    if scope.company_id is not None and scope.sales_rep_email:
        raise InvalidInput("Give a company or a sales rep, not both")
    if scope.company_id is not None:
        found = uow.session.scalar(
            select(CrmCompany.id).where(CrmCompany.shop_id == shop_id, CrmCompany.id == scope.company_id)
        )
        if found is None:
            raise NotFound(f"company {scope.company_id} not found")


def _params(shop_id: int, currency: str, scope: Scope, **extra: Any) -> dict[str, Any]:
    return {"shop_id": shop_id, "currency": currency, **scope_params(scope), **extra}


def _orders(uow: UnitOfWork, shop_id: int, currency: str, scope: Scope, period: Period) -> list[Any]:
    sql = f"""WITH {counted_orders(scope)}
        SELECT currency, COUNT(*) AS orders, SUM(value) AS revenue FROM counted
        WHERE processed_at >= :start_at GROUP BY currency ORDER BY currency"""
    params = _params(shop_id, currency, scope, horizon=period.end_at, start_at=period.start_at)
    return uow.session.execute(typed(sql, moments=["horizon", "start_at"]), params).all()


def _customers(uow: UnitOfWork, shop_id: int, currency: str, scope: Scope, period: Period) -> Any:
    sql = f"""WITH {counted_orders(scope)},
        per_customer AS (
            SELECT customer_id, COUNT(*) AS lifetime_orders,
                   SUM(CASE WHEN processed_at >= :start_at THEN 1 ELSE 0 END) AS period_orders,
                   COALESCE(SUM(amount), 0) AS spend
            FROM counted WHERE customer_id IS NOT NULL GROUP BY customer_id
        )
        SELECT COUNT(*) AS to_date, COALESCE(SUM(spend), 0) AS spend_to_date,
               COALESCE(SUM(CASE WHEN period_orders > 0 THEN 1 ELSE 0 END), 0) AS active,
               COALESCE(SUM(CASE WHEN period_orders > 0 AND lifetime_orders >= 2 THEN 1 ELSE 0 END), 0)
                   AS repeaters
        FROM per_customer"""
    params = _params(shop_id, currency, scope, horizon=period.end_at, start_at=period.start_at)
    return uow.session.execute(typed(sql, moments=["horizon", "start_at"]), params).one()


def _predicted(uow: UnitOfWork, shop_id: int, currency: str, scope: Scope, period: Period) -> Any:
    sql = f"""WITH {counted_orders(scope)},
        buyers AS (SELECT DISTINCT customer_id FROM counted WHERE customer_id IS NOT NULL)
        SELECT COUNT(*) AS scored, SUM(s.predicted_spend_365) AS total, MAX(s.clv_computed_at) AS computed_at
        FROM segments_score s JOIN buyers b ON b.customer_id = s.customer_id
        WHERE s.shop_id = :shop_id AND s.predicted_spend_365 IS NOT NULL"""
    params = _params(shop_id, currency, scope, horizon=period.end_at)
    return uow.session.execute(typed(sql, moments=["horizon"]), params).one()


def _monthly_churn(
    uow: UnitOfWork, shop_id: int, currency: str, scope: Scope, period: Period
) -> list[MonthChurn]:
    full = period.full_months
    if not full:
        return []
    months = (month_of(add_months(full[0].first_day, -1), period.timezone), *full)
    table, month_params, names = month_table(months)
    sql = f"""WITH {counted_orders(scope)}, {table},
        activity AS (
            SELECT DISTINCT c.customer_id, m.idx FROM counted c
            JOIN months m ON c.processed_at >= m.starts AND c.processed_at < m.ends
            WHERE c.customer_id IS NOT NULL
        ),
        -- A window, not a self-join: the planner has no statistics for CTEs and would nest loops.
        nexts AS (
            SELECT idx, LEAD(idx) OVER (PARTITION BY customer_id ORDER BY idx) AS next_idx FROM activity
        )
        SELECT idx + 1 AS idx, COUNT(*) AS active_before,
               SUM(CASE WHEN next_idx IS NULL OR next_idx <> idx + 1 THEN 1 ELSE 0 END) AS churned
        FROM nexts WHERE idx < :last_idx GROUP BY idx"""
    params = _params(
        shop_id, currency, scope, horizon=months[-1].end_at, last_idx=len(months) - 1, **month_params
    )
    found = {
        int(row.idx): (int(row.active_before), int(row.churned))
        for row in uow.session.execute(typed(sql, moments=["horizon", *names]), params)
    }
    result = []
    for idx, month in enumerate(months[1:], start=1):
        active, churned = found.get(idx, (0, 0))
        result.append(
            MonthChurn(month.first_day.strftime("%Y-%m"), active, churned, percent(churned, active))
        )
    return result


def business_metrics(
    uow: UnitOfWork, *, shop_id: int, period: Period, scope: Scope | None = None, now: datetime | None = None
) -> MetricsReport:
    """Revenue, orders, AOV, repeat rate, churn, CLV, CAC, marketing share and sales cycle of a period."""
    scope = scope or Scope()
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found")
    check_scope(uow, shop_id=shop_id, scope=scope)
    currency, now = shop.currency, now or utcnow()

    by_currency = _orders(uow, shop_id, currency, scope, period)
    own = next((row for row in by_currency if row.currency == currency), None)
    orders_total = sum(int(row.orders) for row in by_currency)
    revenue = round_money(as_decimal(own.revenue), currency) if own else Decimal("0.00")
    own_orders = int(own.orders) if own else 0
    others = [
        CurrencyTotal(row.currency, int(row.orders), round_money(as_decimal(row.revenue), row.currency))
        for row in by_currency
        if row.currency != currency
    ]
    people = _customers(uow, shop_id, currency, scope, period)
    predicted = _predicted(uow, shop_id, currency, scope, period)
    churn = _monthly_churn(uow, shop_id, currency, scope, period)
    churn_active = sum(m.active_before for m in churn)
    churned = sum(m.churned for m in churn)
    new = acquisition.new_customers(uow, shop_id=shop_id, currency=currency, scope=scope, period=period)
    whole_shop = scope.company_id is None and not scope.sales_rep_email
    # Spend is entered per shop: CAC has no meaning for one company's or one rep's orders.
    channels = (
        acquisition.channel_cac(uow, shop_id=shop_id, currency=currency, period=period, now=now)
        if whole_shop
        else []
    )

    no_orders = "not enough data: no counted orders in the period"
    metrics = [
        metric("revenue", revenue, "money", currency=currency),
        metric("orders", orders_total, "count"),
        metric(
            "average_order_value",
            round_money(revenue / own_orders, currency) if own_orders else None,
            "money",
            currency=currency,
            missing=no_orders,
        ),
        metric("customers", int(people.active), "count"),
        metric("new_customers", new.count, "count"),
        metric(
            "repeat_purchase_rate",
            percent(int(people.repeaters), int(people.active)),
            "percent",
            missing="not enough data: no customer ordered in the period",
        ),
        metric(
            "churn_rate",
            percent(churned, churn_active),
            "percent",
            missing="not enough data: no complete calendar month in the period"
            if not churn
            else "not enough data: no customer ordered in the months before",
        ),
        metric(
            "historic_clv",
            round_money(as_decimal(people.spend_to_date) / int(people.to_date), currency)
            if people.to_date
            else None,
            "money",
            currency=currency,
            missing="not enough data: no customer has a counted order yet",
        ),
        metric(
            "predicted_clv",
            round_money(as_decimal(predicted.total) / int(predicted.scored), currency)
            if predicted.scored
            else None,
            "money",
            currency=currency,
            missing="not enough data: the CLV models have not been fitted for these customers",
        ),
        metric(
            "marketing_share",
            percent(new.marketing, new.count),
            "percent",
            missing="not enough data: no new customers in the period",
        ),
        acquisition.blended_cac(channels, new_count=new.count, currency=currency, scope=scope),
        metric("sales_cycle_median_days", new.cycle_median, "days", missing=new.cycle_missing),
        metric("sales_cycle_mean_days", new.cycle_mean, "days", missing=new.cycle_missing),
    ]
    return MetricsReport(
        shop_id=shop_id,
        scope=scope,
        period=period,
        currency=currency,
        metrics={m.key: m for m in metrics},
        other_currencies=others,
        monthly_churn=churn,
        channels=channels,
        computed_at=now,
        predicted_clv_computed_at=as_moment(predicted.computed_at),
    )
