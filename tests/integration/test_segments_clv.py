"""CLV and churn per customer and company: summaries, predictions written back, backtest, not enough data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from app.db import UnitOfWork
from crm.models import CrmOrder
from segments import clv_scoring, service
from segments.models import RunKind, RunStatus, SegmentScore, Subject
from tests.crm_support import make_shop
from tests.segments_support import AS_OF, generate_history


def _run(uow: UnitOfWork, shop_id: int, kind: RunKind = RunKind.FULL):  # type: ignore[no-untyped-def]
    run = service.start_run(uow, shop_id=shop_id, kind=kind, as_of=AS_OF)
    uow.commit()
    return service.execute_run(uow, shop_id=shop_id, run_id=run.id)


def test_summaries_count_purchase_days_and_mean_repeat_spend_as_pandas_does(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=300, seed=21)
    uow.commit()
    summaries = clv_scoring.load_summaries(
        uow.session, Subject.CUSTOMER, shop_id=shop_id, currency="USD", as_of=AS_OF
    )
    orders = pd.DataFrame(
        uow.session.execute(
            select(
                CrmOrder.customer_id, CrmOrder.currency, CrmOrder.current_total_price, CrmOrder.processed_at
            ).where(CrmOrder.shop_id == shop_id, CrmOrder.cancelled_at.is_(None), CrmOrder.test.is_(False))
        ).all(),
        columns=["customer_id", "currency", "amount", "processed_at"],
    )
    orders["day"] = [int(t.timestamp()) // 86400 for t in orders.processed_at]
    orders["spend"] = [
        float(a) if c == "USD" else 0.0 for a, c in zip(orders.amount, orders.currency, strict=True)
    ]
    days = (
        orders.groupby(["customer_id", "day"], as_index=False).spend.sum().sort_values(["customer_id", "day"])
    )
    as_of_day = int(AS_OF.timestamp()) // 86400
    expected = {}
    for customer_id, group in days.groupby("customer_id"):
        x = len(group) - 1
        repeat = group.spend.iloc[1:].sum() / x if x else 0.0
        expected[int(customer_id)] = (
            x,
            group.day.max() - group.day.min(),
            as_of_day - group.day.min(),
            repeat,
        )
    actual = {
        int(s): (x, t, big_t, m)
        for s, x, t, big_t, m in zip(
            summaries.subject_ids,
            summaries.frequency,
            summaries.recency,
            summaries.age,
            summaries.monetary,
            strict=True,
        )
    }
    assert actual.keys() == expected.keys()
    for customer_id, (x, t, big_t, m) in expected.items():
        got = actual[customer_id]
        assert got[:3] == (x, t, big_t), customer_id
        assert got[3] == np.float64(m) or abs(got[3] - m) < 1e-9, customer_id


def test_a_full_run_writes_predictions_for_every_scored_customer_and_a_backtest(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=800, companies=60, seed=8)
    uow.commit()
    done = _run(uow, shop_id)
    assert done.status is RunStatus.SUCCEEDED, done.error
    stats = done.stats["clv_customer"]
    assert stats["status"] == "fitted"
    assert set(stats["bg_nbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    scores = uow.session.scalars(
        select(SegmentScore).where(SegmentScore.shop_id == shop_id, SegmentScore.customer_id.is_not(None))
    ).all()
    assert scores and all(s.clv_computed_at == AS_OF for s in scores)
    assert all(Decimal(0) < s.p_alive <= Decimal(1) for s in scores)
    assert all(s.predicted_orders_365 >= s.predicted_orders_90 >= 0 for s in scores)
    one_timers = [s for s in scores if s.frequency == 1]
    assert one_timers and all(s.p_alive == Decimal(1) for s in one_timers)  # BG/NBD: no repeat, no dropout
    backtest = stats["backtest"]
    assert len(backtest["deciles"]) == 10
    assert sum(d["customers"] for d in backtest["deciles"]) == backtest["customers"]
    assert 60 <= backtest["holdout_days"] <= 365
    assert done.stats["clv_company"]["status"] in {"fitted", "not_enough_data"}


def test_only_one_time_buyers_is_not_enough_data_and_leaves_predictions_empty(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=200, seed=4)
    # keep each customer's first order only
    rows = uow.session.execute(
        select(CrmOrder.id, CrmOrder.customer_id).order_by(CrmOrder.processed_at)
    ).all()
    seen: set[int] = set()
    extra = []
    for order_id, customer_id in rows:
        if customer_id in seen:
            extra.append(order_id)
        seen.add(customer_id)
    uow.session.execute(
        update(CrmOrder).where(CrmOrder.id.in_(extra)).values(cancelled_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    uow.commit()
    done = _run(uow, shop_id)
    assert done.stats["clv_customer"]["status"] == "not_enough_data"
    assert "bought again" in done.stats["clv_customer"]["reason"]
    predicted = uow.session.scalars(select(SegmentScore.p_alive).where(SegmentScore.shop_id == shop_id)).all()
    assert predicted and set(predicted) == {None}
