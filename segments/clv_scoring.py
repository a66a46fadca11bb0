"""Historic and predicted CLV and churn risk for every customer and company of a shop.

The summaries BG/NBD needs come from one set-based SQL pass over counted orders (segments/counted.py):
purchases are counted per day (two orders on one day are one purchase occasion), in days:
- frequency x = purchase days after the first; recency t_x = last purchase day - first;
  age T = as_of - first purchase day (whole days, from whole seconds);
- monetary value = mean spend of the repeat purchase days (the first purchase is left out, as the
  Gamma-Gamma model prescribes), in the shop's currency only.
The models are fitted per shop and per subject kind (customers, companies), then every subject's
predictions are written back in one UPDATE from a temporary table.

Honesty: a backtest fits on the history up to a calibration date and predicts the holdout period
that followed; predicted vs actual repeat purchases by decile of the prediction are kept with the
run, so the dashboard can show how good the model is on this shop's data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Numeric, bindparam, text
from sqlalchemy.orm import Session

from app.db import UTCDateTime
from segments import clv
from segments.counted import counted_where, shop_money
from segments.models import Subject
from segments.rfm import KINDS, SECONDS_PER_DAY, epoch_seconds, use_analytics_memory

SHORT_HORIZON_DAYS = 90
LONG_HORIZON_DAYS = 365
# The holdout of the backtest: a quarter of the history, between 60 and 365 days.
MIN_HOLDOUT_DAYS = 60
MAX_HOLDOUT_DAYS = 365
DECILES = 10
SCORES_TABLE = "segments_clv_new"
FETCH_ROWS = 50_000
WRITE_ROWS = 20_000
NUMERIC_COLUMNS = ("p_alive", "orders_90", "orders_365", "spend_90", "spend_365")


@dataclass(frozen=True)
class Summaries:
    subject_ids: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    monetary: np.ndarray  # mean repeat spend; 0 without repeat purchases
    first_day: np.ndarray  # epoch day of the first purchase


def load_summaries(
    session: Session, subject: Subject, *, shop_id: int, currency: str, as_of: datetime
) -> Summaries:
    """Per subject: the BG/NBD summary as of `as_of`, from counted orders processed up to then."""
    kind = KINDS[subject]
    dialect = session.get_bind().dialect.name
    use_analytics_memory(session)
    day = f"({epoch_seconds(dialect, 'o.processed_at')}) / {SECONDS_PER_DAY}"
    as_of_day = f"({epoch_seconds(dialect, ':as_of')}) / {SECONDS_PER_DAY}"
    result = session.execute(
        text(
            f"""
            WITH days AS (
                SELECT o.{kind.key} AS subject_id, {day} AS day,
                       SUM({shop_money("o", otherwise="0")}) AS spend
                FROM crm_order o
                WHERE o.shop_id = :shop_id AND o.{kind.key} IS NOT NULL AND {counted_where("o")}
                  AND o.processed_at <= :as_of
                GROUP BY o.{kind.key}, {day}
            ), numbered AS (
                SELECT days.*, ROW_NUMBER() OVER (PARTITION BY subject_id ORDER BY day) AS occasion
                FROM days
            )
            SELECT subject_id, COUNT(*) - 1, MAX(day) - MIN(day), {as_of_day} - MIN(day),
                   CAST(COALESCE(SUM(CASE WHEN occasion > 1 THEN spend END), 0) AS DOUBLE PRECISION), MIN(day)
            FROM numbered
            GROUP BY subject_id
            ORDER BY subject_id
            """
        ).bindparams(bindparam("as_of", type_=UTCDateTime)),
        {"shop_id": shop_id, "currency": currency, "as_of": as_of},
        execution_options={"yield_per": FETCH_ROWS},
    )
    # Streamed in partitions into float arrays: a million customers never become a million Row objects.
    chunks = [np.array(part, dtype=np.float64).reshape(-1, 6) for part in result.partitions()]
    if not chunks:
        empty = np.zeros(0)
        return Summaries(empty.astype(np.int64), empty, empty, empty, empty, empty.astype(np.int64))
    data = np.concatenate(chunks)
    frequency = data[:, 1]
    repeat_spend = data[:, 4]
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, repeat_spend / np.maximum(frequency, 1), 0.0)
    return Summaries(
        subject_ids=data[:, 0].astype(np.int64),
        frequency=frequency,
        recency=data[:, 2],
        age=data[:, 3],
        monetary=monetary,
        first_day=data[:, 5].astype(np.int64),
    )


def backtest(
    session: Session, subject: Subject, *, shop_id: int, currency: str, as_of: datetime, span_days: float
) -> dict[str, Any]:
    """Fit on the calibration period, predict the holdout, compare by decile of the prediction."""
    holdout = int(min(MAX_HOLDOUT_DAYS, max(MIN_HOLDOUT_DAYS, span_days // 4)))
    calibration_end = as_of - timedelta(days=holdout)
    calibration = load_summaries(session, subject, shop_id=shop_id, currency=currency, as_of=calibration_end)
    if calibration.subject_ids.size == 0:
        raise clv.NotEnoughData("no customer bought before the backtest's calibration date")
    params = clv.fit_bgnbd(calibration.frequency, calibration.recency, calibration.age)
    full = load_summaries(session, subject, shop_id=shop_id, currency=currency, as_of=as_of)
    # Repeat purchase days in the holdout = purchase days by as_of minus those by the calibration end.
    # Both summaries are sorted by subject id, and every calibration subject is in the full one.
    position = np.searchsorted(full.subject_ids, calibration.subject_ids)
    actual = full.frequency[position] - calibration.frequency
    predicted = clv.expected_purchases(
        params, holdout, calibration.frequency, calibration.recency, calibration.age
    )
    order = np.argsort(predicted, kind="stable")
    groups = np.array_split(order, min(DECILES, order.size))
    deciles = [
        {
            "decile": i + 1,
            "customers": int(group.size),
            "predicted": round(float(predicted[group].mean()), 4),
            "actual": round(float(actual[group].mean()), 4),
        }
        for i, group in enumerate(groups)
    ]
    total_predicted, total_actual = float(predicted.sum()), float(actual.sum())
    return {
        "holdout_days": holdout,
        "calibration_end": calibration_end.isoformat(),
        "customers": int(calibration.subject_ids.size),
        "predicted_total": round(total_predicted, 2),
        "actual_total": round(total_actual, 2),
        "error_pct": round(100 * (total_predicted - total_actual) / total_actual, 1)
        if total_actual
        else None,
        "mean_absolute_error": round(float(np.abs(predicted - actual).mean()), 4),
        "deciles": deciles,
    }


def _to_decimal(value: float, places: int) -> Decimal | None:
    if not np.isfinite(value):
        return None
    return Decimal(repr(round(float(value), places)))


def score_clv(
    session: Session, subject: Subject, *, shop_id: int, currency: str, as_of: datetime
) -> dict[str, Any]:
    """Fit, predict and store CLV and churn figures for one subject kind; returns the run's stats.

    Subjects without a score row (no counted order) are skipped; "not enough data" is a result,
    recorded in the stats with its reason, and clears nothing.
    """
    kind = KINDS[subject]
    summaries = load_summaries(session, subject, shop_id=shop_id, currency=currency, as_of=as_of)
    stats: dict[str, Any] = {"customers": int(summaries.subject_ids.size)}
    try:
        purchase = clv.fit_bgnbd(summaries.frequency, summaries.recency, summaries.age)
    except clv.NotEnoughData as exc:
        return {**stats, "status": "not_enough_data", "reason": str(exc)}
    stats["bg_nbd"] = {
        "r": purchase.r,
        "alpha": purchase.alpha,
        "a": purchase.a,
        "b": purchase.b,
        "log_likelihood": purchase.log_likelihood,
    }
    try:
        spend: clv.GammaGammaParams | None = clv.fit_gamma_gamma(summaries.frequency, summaries.monetary)
        stats["gamma_gamma"] = {"p": spend.p, "q": spend.q, "gamma": spend.gamma}
    except clv.NotEnoughData as exc:
        spend = None
        stats["gamma_gamma"] = {"status": "not_enough_data", "reason": str(exc)}
    x, t_x, age = summaries.frequency, summaries.recency, summaries.age
    alive = clv.probability_alive(purchase, x, t_x, age)
    orders_90 = clv.expected_purchases(purchase, SHORT_HORIZON_DAYS, x, t_x, age)
    orders_365 = clv.expected_purchases(purchase, LONG_HORIZON_DAYS, x, t_x, age)
    if spend is not None and spend.q > 1:
        average = clv.expected_average_spend(spend, x, summaries.monetary)
    else:
        average = np.full_like(x, np.nan)
    gap = clv.expected_time_to_next_purchase(purchase, x, age)
    as_of_day = int(as_of.timestamp()) // SECONDS_PER_DAY
    last_day = summaries.first_day + t_x.astype(np.int64)
    next_day = np.where(np.isfinite(gap), last_day + np.ceil(np.nan_to_num(gap)), np.nan)
    # A predicted next order already in the past means "overdue": show it from today on.
    next_day = np.where(np.isfinite(next_day), np.maximum(next_day, as_of_day), np.nan)

    def rows(start: int, stop: int) -> list[dict[str, Any]]:
        return [
            {
                "subject_id": int(summaries.subject_ids[i]),
                "p_alive": _to_decimal(alive[i], 6),
                "orders_90": _to_decimal(orders_90[i], 4),
                "orders_365": _to_decimal(orders_365[i], 4),
                "spend_90": _to_decimal(orders_90[i] * average[i], 4),
                "spend_365": _to_decimal(orders_365[i] * average[i], 4),
                "next_order_at": (
                    datetime.fromtimestamp(int(next_day[i]) * SECONDS_PER_DAY, tz=as_of.tzinfo)
                    if np.isfinite(next_day[i])
                    else None
                ),
            }
            for i in range(start, stop)
        ]

    _write_predictions(
        session, kind.key, shop_id=shop_id, as_of=as_of, count=int(summaries.subject_ids.size), rows=rows
    )
    span_days = float(age.max()) if age.size else 0.0
    try:
        stats["backtest"] = backtest(
            session, subject, shop_id=shop_id, currency=currency, as_of=as_of, span_days=span_days
        )
    except (clv.NotEnoughData, clv.FitFailed) as exc:
        stats["backtest"] = {"status": "not_enough_data", "reason": str(exc)}
    stats["status"] = "fitted"
    stats["expected_orders_365"] = round(float(np.sum(orders_365)), 2)
    stats["mean_p_alive"] = round(float(np.mean(alive)), 4)
    return stats


def _write_predictions(
    session: Session,
    key: str,
    *,
    shop_id: int,
    as_of: datetime,
    count: int,
    rows: Callable[[int, int], list[dict[str, Any]]],
) -> None:
    """Stage the predictions in a temporary table, WRITE_ROWS at a time, then one UPDATE."""
    session.execute(text(f"DROP TABLE IF EXISTS {SCORES_TABLE}"))
    timestamp = "TIMESTAMP" if session.get_bind().dialect.name == "sqlite" else "TIMESTAMP WITH TIME ZONE"
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE {SCORES_TABLE} (subject_id INTEGER PRIMARY KEY, p_alive NUMERIC, "
            "orders_90 NUMERIC, orders_365 NUMERIC, spend_90 NUMERIC, spend_365 NUMERIC, "
            f"next_order_at {timestamp})"
        )
    )
    try:
        for start in range(0, count, WRITE_ROWS):
            session.execute(
                text(
                    f"INSERT INTO {SCORES_TABLE} VALUES "
                    "(:subject_id, :p_alive, :orders_90, :orders_365, :spend_90, :spend_365, :next_order_at)"
                ).bindparams(
                    bindparam("next_order_at", type_=UTCDateTime),
                    *(bindparam(name, type_=Numeric(18, 6)) for name in NUMERIC_COLUMNS),
                ),
                rows(start, min(count, start + WRITE_ROWS)),
            )
        session.execute(
            text(
                f"""
                UPDATE segments_score SET
                    p_alive = n.p_alive, predicted_orders_90 = n.orders_90,
                    predicted_orders_365 = n.orders_365,
                    predicted_spend_90 = n.spend_90, predicted_spend_365 = n.spend_365,
                    expected_next_order_at = n.next_order_at, clv_computed_at = :as_of
                FROM {SCORES_TABLE} n
                WHERE segments_score.shop_id = :shop_id AND segments_score.{key} = n.subject_id
                """
            ).bindparams(bindparam("as_of", type_=UTCDateTime)),
            {"shop_id": shop_id, "as_of": as_of},
        )
    finally:
        session.execute(text(f"DROP TABLE IF EXISTS {SCORES_TABLE}"))
