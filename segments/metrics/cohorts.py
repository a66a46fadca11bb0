"""Cohort retention: customers by first-order month, and the share of each cohort ordering N months later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.db import UnitOfWork
from segments.metrics._sql import Scope, counted_orders, month_table, percent, scope_params, typed
from segments.metrics.definitions import COHORTS
from segments.metrics.period import Period


@dataclass(frozen=True)
class Cohort:
    """One first-order month: its size and, per month since (0, 1, ...), the % of it that ordered."""

    month: date  # first day of the cohort's month
    customers: int
    retention: list[Decimal | None]  # index = months since the first order, up to the period's last month
    active: list[int]  # customers of the cohort with a counted order in that month


@dataclass(frozen=True)
class CohortMatrix:
    """The cohorts of the months a period touches, oldest first, with the definition."""

    cohorts: list[Cohort]
    definition: str = COHORTS

    @property
    def empty(self) -> bool:
        return not self.cohorts


def cohort_retention(
    uow: UnitOfWork, *, shop_id: int, currency: str, period: Period, scope: Scope | None = None
) -> CohortMatrix:
    """The cohort x months-since retention matrix of a period (one query; empty cohorts left out)."""
    scope = scope or Scope()
    table, month_params, names = month_table(period.months)
    sql = f"""WITH {counted_orders(scope)}, {table},
        -- Each order carries its customer's first order time (a window), so the cohort and the active
        -- month both come from joins with the small month table, never from a join between CTEs (the
        -- planner has no statistics for those and would nest loops over all customers).
        tagged AS (
            SELECT customer_id, processed_at,
                   MIN(processed_at) OVER (PARTITION BY customer_id) AS first_at
            FROM counted WHERE customer_id IS NOT NULL
        ),
        activity AS (
            SELECT DISTINCT t.customer_id, f.idx AS cohort_idx, m.idx FROM tagged t
            JOIN months m ON t.processed_at >= m.starts AND t.processed_at < m.ends
            JOIN months f ON t.first_at >= f.starts AND t.first_at < f.ends
        )
        SELECT cohort_idx, idx - cohort_idx AS since, COUNT(*) AS customers
        FROM activity GROUP BY cohort_idx, idx - cohort_idx"""
    params = {
        "shop_id": shop_id,
        "currency": currency,
        "horizon": period.end_at,
        **scope_params(scope),
        **month_params,
    }
    counts: dict[int, dict[int, int]] = {}
    for row in uow.session.execute(typed(sql, moments=["horizon", *names]), params):
        counts.setdefault(int(row.cohort_idx), {})[int(row.since)] = int(row.customers)
    last = len(period.months) - 1
    cohorts = []
    for idx in sorted(counts):
        size = counts[idx].get(0, 0)
        active = [counts[idx].get(since, 0) for since in range(last - idx + 1)]
        cohorts.append(Cohort(period.months[idx].first_day, size, [percent(n, size) for n in active], active))
    return CohortMatrix(cohorts)
