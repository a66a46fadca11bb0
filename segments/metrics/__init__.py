"""Business metrics per shop, company or sales rep over a period, each returned with its definition.

Public API (what the dashboard and the REST API call):
- `make_period(start, end, timezone)` / `preset_period(name, timezone=, now=)` -> Period
- `business_metrics(uow, *, shop_id, period, scope=None, now=None)` -> MetricsReport
- `cohort_retention(uow, *, shop_id, currency, period, scope=None)` -> CohortMatrix
- `by_sales_rep(uow, *, shop_id, currency, period)` -> list[RepTotals] (one GROUP BY)
- `check_scope(uow, *, shop_id, scope)`: NotFound for another shop's company
- `set_spend` / `get_spend` / `delete_spend` / `list_spend` (marketing spend per channel and month)

Counted orders follow the RFM rule (segments/rfm.py); money is the shop currency only, other currencies
are reported apart. Missing values are None with a `missing` reason, never NaN.
"""

from __future__ import annotations

from segments.metrics._sql import MARKETING_PREFIXES, Scope
from segments.metrics.acquisition import ChannelCac, NewCustomers
from segments.metrics.breakdown import RepTotals, by_sales_rep
from segments.metrics.cohorts import Cohort, CohortMatrix, cohort_retention
from segments.metrics.period import MAX_MONTHS, PRESETS, Month, Period, make_period, preset_period
from segments.metrics.report import CurrencyTotal, MetricsReport, MonthChurn, business_metrics, check_scope
from segments.metrics.spend import delete_spend, get_spend, list_spend, set_spend
from segments.metrics.values import Metric

__all__ = [
    "MARKETING_PREFIXES",
    "MAX_MONTHS",
    "PRESETS",
    "ChannelCac",
    "Cohort",
    "CohortMatrix",
    "CurrencyTotal",
    "Metric",
    "MetricsReport",
    "Month",
    "MonthChurn",
    "NewCustomers",
    "Period",
    "RepTotals",
    "Scope",
    "business_metrics",
    "by_sales_rep",
    "check_scope",
    "cohort_retention",
    "delete_spend",
    "get_spend",
    "list_spend",
    "make_period",
    "preset_period",
    "set_spend",
]
