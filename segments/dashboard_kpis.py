"""The dashboard's KPI tiles: business metrics of the last 30 days against the 30 days before.

Every business figure comes from segments.metrics.business_metrics, the function behind the metrics API,
for the same period: the dashboard and the API cannot disagree, and each tile carries the metric's
definition. Two figures of the latest analytics run sit beside them (how many customers or companies
were scored, their mean P(alive)); they describe the model, not the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.db import UnitOfWork
from segments.metrics import Metric, Period, business_metrics, make_period, preset_period
from segments.metrics.values import metric
from segments.models import SegmentRun, SegmentScore, Subject

KPI_DAYS = 30
# The tiles, in order: keys of MetricsReport.metrics.
KPI_KEYS = ("revenue", "orders", "average_order_value", "repeat_purchase_rate", "new_customers", "cac")
LOWER_IS_BETTER = frozenset({"cac"})
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Tile:
    """One business metric over the period, and the same metric over the period before."""

    metric: Metric
    previous: Metric
    # Percent change for money and counts; percentage points for rates. None: nothing to compare with.
    change: Decimal | None

    @property
    def improved(self) -> bool | None:
        """Whether the change is good news (CAC going down is); None without a change."""
        if not self.change:
            return None
        return (self.change < 0) if self.metric.key in LOWER_IS_BETTER else (self.change > 0)


@dataclass(frozen=True)
class Kpis:
    """The tiles of the period, and the latest run's model figures for the subject."""

    period: Period
    previous_period: Period
    tiles: list[Tile]
    scored: int
    mean_p_alive_pct: Decimal | None  # None until the CLV model could be fitted
    as_of: datetime  # when the run computed the business metrics


def kpi_periods(timezone: str, now: datetime) -> tuple[Period, Period]:
    """The last KPI_DAYS days of the shop's calendar (today included) and the KPI_DAYS days before."""
    today = preset_period("month_to_date", timezone=timezone, now=now).end
    start = today - timedelta(days=KPI_DAYS - 1)
    before = start - timedelta(days=KPI_DAYS)
    return (
        make_period(start, today, timezone),
        make_period(before, start - timedelta(days=1), timezone),
    )


def change(metric: Metric, previous: Metric) -> Decimal | None:
    """How the metric moved since the previous period (see Tile.change)."""
    if metric.value is None or previous.value is None:
        return None
    now, then = Decimal(metric.value), Decimal(previous.value)
    if metric.unit == "percent":
        return (now - then).quantize(ONE_DECIMAL)
    if not then:
        return None
    return ((now - then) * 100 / then).quantize(ONE_DECIMAL)


def _model_figures(uow: UnitOfWork, shop_id: int, subject: Subject) -> tuple[int, Decimal | None]:
    scored, mean_alive = uow.session.execute(
        select(func.count(), func.avg(SegmentScore.p_alive)).where(
            SegmentScore.shop_id == shop_id, SegmentScore.subject == subject
        )
    ).one()
    if mean_alive is None:
        return int(scored), None
    return int(scored), (Decimal(str(mean_alive)) * 100).quantize(ONE_DECIMAL)


def snapshot(uow: UnitOfWork, *, shop_id: int, timezone: str, now: datetime) -> dict[str, Any]:
    """The tiles' business metrics as of `now`, as JSON: what an analytics run keeps in `stats["kpis"]`.

    Business metrics read the whole order history (repeat rate, new customers, CAC cohorts): seconds
    on a large shop, so the dashboard shows the figures of the latest run, with its time, rather than
    computing them on every page view.
    """
    period, previous_period = kpi_periods(timezone, now)
    current = business_metrics(uow, shop_id=shop_id, period=period, now=now).metrics
    before = business_metrics(uow, shop_id=shop_id, period=previous_period, now=now).metrics
    return {
        "as_of": now.isoformat(),
        "timezone": timezone,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "previous_period": [previous_period.start.isoformat(), previous_period.end.isoformat()],
        "current": {key: _dump(current[key]) for key in KPI_KEYS},
        "before": {key: _dump(before[key]) for key in KPI_KEYS},
    }


def _dump(metric_: Metric) -> dict[str, Any]:
    value = None if metric_.value is None else str(metric_.value)
    return {"value": value, "unit": metric_.unit, "currency": metric_.currency, "missing": metric_.missing}


def _load(key: str, stored: dict[str, Any]) -> Metric:
    raw = stored["value"]
    value = None if raw is None else int(raw) if stored["unit"] == "count" else Decimal(raw)
    return metric(key, value, stored["unit"], currency=stored["currency"], missing=stored["missing"])


def _period(bounds: list[str], timezone: str) -> Period:
    start, end = (date.fromisoformat(bound) for bound in bounds)
    return make_period(start, end, timezone)


def kpis(
    uow: UnitOfWork, *, shop_id: int, run: SegmentRun | None, subject: Subject = Subject.CUSTOMER
) -> Kpis | None:
    """The KPI tiles as the latest finished run computed them (None before a run has); the business
    metrics are the whole shop's on both tabs."""
    stored = (run.stats or {}).get("kpis") if run is not None else None
    if not stored:
        return None
    tiles = []
    for key in KPI_KEYS:
        now, then = _load(key, stored["current"][key]), _load(key, stored["before"][key])
        tiles.append(Tile(now, then, change(now, then)))
    scored, mean_alive = _model_figures(uow, shop_id, subject)
    return Kpis(
        period=_period(stored["period"], stored["timezone"]),
        previous_period=_period(stored["previous_period"], stored["timezone"]),
        tiles=tiles,
        scored=scored,
        mean_p_alive_pct=mean_alive,
        as_of=datetime.fromisoformat(stored["as_of"]),
    )
