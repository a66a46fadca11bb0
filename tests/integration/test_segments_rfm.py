"""RFM in set-based SQL equals an independent pandas computation; transitions and timeline events."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from app.db import UnitOfWork
from crm.models import CrmOrder, CrmTimelineEvent
from segments import rfm, service
from segments.models import RfmSegment, RunKind, RunStatus, SegmentScore, SegmentTransition, Subject
from tests.crm_support import make_shop
from tests.segments_support import AS_OF, generate_history


def _pandas_rfm(uow: UnitOfWork, shop_id: int, key: str, as_of: datetime = AS_OF) -> pd.DataFrame:
    """The same definitions, computed with pandas from the raw orders."""
    orders = pd.DataFrame(
        uow.session.execute(
            select(
                getattr(CrmOrder, key).label("subject_id"),
                CrmOrder.currency,
                CrmOrder.current_total_price,
                CrmOrder.processed_at,
                CrmOrder.cancelled_at,
                CrmOrder.test,
            ).where(CrmOrder.shop_id == shop_id)
        ).all(),
        columns=["subject_id", "currency", "amount", "processed_at", "cancelled_at", "test"],
    )
    counted = orders[
        orders.subject_id.notna() & orders.cancelled_at.isna() & ~orders.test & (orders.processed_at <= as_of)
    ].copy()
    counted["money"] = [
        a if c == "USD" else Decimal(0) for a, c in zip(counted.amount, counted.currency, strict=True)
    ]
    grouped = counted.groupby("subject_id").agg(
        frequency=("money", "size"), monetary=("money", "sum"), last=("processed_at", "max")
    )
    as_of_seconds = int(as_of.timestamp())
    grouped["recency_days"] = [(as_of_seconds - int(t.timestamp())) // 86400 for t in grouped["last"]]
    n = len(grouped)

    def score(rank: pd.Series) -> pd.Series:
        return rank.map(lambda r: 3 if n == 1 else 1 + min(4, (5 * (int(r) - 1)) // (n - 1)))

    grouped["r_score"] = score(grouped.recency_days.rank(method="min", ascending=False))
    grouped["f_score"] = score(grouped.frequency.rank(method="min"))
    grouped["m_score"] = score(grouped.monetary.astype(float).rank(method="min"))
    grouped["segment"] = [
        rfm.segment_for(r, f) for r, f in zip(grouped.r_score, grouped.f_score, strict=True)
    ]
    return grouped


def _sql_rfm(
    uow: UnitOfWork, shop_id: int, key: str
) -> dict[int, tuple[int, int, Decimal, int, int, int, RfmSegment]]:
    column = getattr(SegmentScore, key)
    rows = uow.session.execute(
        select(
            column,
            SegmentScore.recency_days,
            SegmentScore.frequency,
            SegmentScore.monetary,
            SegmentScore.r_score,
            SegmentScore.f_score,
            SegmentScore.m_score,
            SegmentScore.rfm_segment,
        ).where(SegmentScore.shop_id == shop_id, column.is_not(None))
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def _expected(frame: pd.DataFrame) -> dict[int, tuple[int, int, Decimal, int, int, int, RfmSegment]]:
    return {
        int(subject_id): (
            row.recency_days,
            row.frequency,
            Decimal(row.monetary),
            row.r_score,
            row.f_score,
            row.m_score,
            row.segment,
        )
        for subject_id, row in frame.iterrows()
    }


@pytest.mark.parametrize(
    ("key", "subject"), [("customer_id", Subject.CUSTOMER), ("company_id", Subject.COMPANY)]
)
def test_rfm_sql_equals_an_independent_pandas_computation(
    uow: UnitOfWork, key: str, subject: Subject
) -> None:
    # given a generated history of 600 customers in 40 companies
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=600, companies=40, seed=3)
    uow.commit()
    # when the analytics run
    run = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF)
    uow.commit()
    done = service.execute_run(uow, shop_id=shop_id, run_id=run.id)
    # then every subject's scores and segment equal pandas' from the raw orders
    expected = _pandas_rfm(uow, shop_id, key)
    actual = _sql_rfm(uow, shop_id, key)
    assert done.status is RunStatus.SUCCEEDED
    assert len(actual) == len(expected) > 30
    assert actual == _expected(expected)
    assert done.stats[f"rfm_{subject.value}"]["scored"] == len(expected)
    assert sum(done.stats[f"rfm_{subject.value}"]["segments"].values()) == len(expected)


def test_a_second_run_records_moves_and_writes_them_on_the_timeline(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    history = generate_history(uow, shop_id, customers=200, seed=5)
    uow.commit()
    first = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF)
    uow.commit()
    service.execute_run(uow, shop_id=shop_id, run_id=first.id)
    before = dict(
        uow.session.execute(
            select(SegmentScore.customer_id, SegmentScore.rfm_segment).where(SegmentScore.shop_id == shop_id)
        ).all()
    )
    first_transitions = uow.session.scalars(
        select(SegmentTransition).where(SegmentTransition.run_id == first.id)
    ).all()
    assert {t.from_segment for t in first_transitions} == {None}
    assert len(first_transitions) == len(before)
    # when every order of one scored customer is cancelled and a year passes
    gone = next(iter(before))
    uow.session.execute(update(CrmOrder).where(CrmOrder.customer_id == gone).values(cancelled_at=AS_OF))
    uow.commit()
    second = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF + timedelta(days=365))
    uow.commit()
    done = service.execute_run(uow, shop_id=shop_id, run_id=second.id)
    after = dict(
        uow.session.execute(
            select(SegmentScore.customer_id, SegmentScore.rfm_segment).where(SegmentScore.shop_id == shop_id)
        ).all()
    )
    moves = {
        t.customer_id: (t.from_segment, t.to_segment)
        for t in uow.session.scalars(select(SegmentTransition).where(SegmentTransition.run_id == second.id))
    }
    # then the customer left, and every changed segment is one transition and one timeline event
    assert gone not in after
    assert moves[gone] == (before[gone], None)
    changed = {c: (before[c], after[c]) for c in after if before.get(c) != after[c]}
    assert {c: m for c, m in moves.items() if c != gone} == changed
    events = uow.session.scalars(
        select(CrmTimelineEvent).where(
            CrmTimelineEvent.shop_id == shop_id, CrmTimelineEvent.kind == "segment.changed"
        )
    ).all()
    assert len(events) == len(moves)
    by_customer = {e.customer_id: e for e in events}
    event = by_customer[gone]
    assert (
        event.summary == f"RFM segment: {rfm.SEGMENT_LABELS[before[gone]]} → no segment (no counted orders)"
    )
    assert event.data == {"rfm_segment": [before[gone].value, None]}
    assert done.stats["rfm_customer"]["left"] == 1
    assert set(history.customer_ids) >= set(after)


def test_a_rerun_rewrites_only_the_scores_whose_figures_changed(uow: UnitOfWork) -> None:
    # given a shop scored once
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=400, seed=7)
    uow.commit()
    first = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF)
    uow.commit()
    service.execute_run(uow, shop_id=shop_id, run_id=first.id)
    before = _sql_rfm(uow, shop_id, "customer_id")
    # when it is scored again six hours later (recency moves on for the customers whose last order
    # was at that time of day) after one customer's latest order was cancelled
    changed_customer = uow.session.scalars(
        select(CrmOrder.customer_id)
        .where(CrmOrder.shop_id == shop_id, CrmOrder.cancelled_at.is_(None), CrmOrder.test.is_(False))
        .group_by(CrmOrder.customer_id)
        .having(func.count() > 3)
        .limit(1)
    ).one()
    latest = uow.session.scalars(
        select(CrmOrder)
        .where(CrmOrder.customer_id == changed_customer)
        .order_by(CrmOrder.processed_at.desc())
    ).first()
    assert latest is not None
    latest.cancelled_at = AS_OF
    uow.commit()
    later = AS_OF + timedelta(hours=6)
    second = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=later)
    uow.commit()
    service.execute_run(uow, shop_id=shop_id, run_id=second.id)
    # then every score equals pandas' at the later time
    after = _sql_rfm(uow, shop_id, "customer_id")
    assert after == _expected(_pandas_rfm(uow, shop_id, "customer_id", later))
    # and exactly the rows whose figures changed were rewritten (their computation time moved)
    computed = dict(
        uow.session.execute(
            select(SegmentScore.customer_id, SegmentScore.rfm_computed_at).where(
                SegmentScore.shop_id == shop_id
            )
        ).all()
    )
    changed = {c for c in after if before.get(c) != after[c]}
    assert changed_customer in changed
    assert 0 < len(changed) < len(after)
    assert {c for c, at in computed.items() if at == later} == changed
    assert {c for c, at in computed.items() if at == AS_OF} == set(after) - changed


def test_a_shop_without_orders_scores_nobody(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=0)
    run = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF)
    uow.commit()
    done = service.execute_run(uow, shop_id=shop_id, run_id=run.id)
    assert done.status is RunStatus.SUCCEEDED
    assert done.stats["rfm_customer"]["scored"] == 0
    assert set(done.stats["rfm_customer"]["segments"].values()) == {0}


def test_a_single_customer_scores_three_everywhere(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    generate_history(uow, shop_id, customers=1, seed=11)
    uow.session.execute(update(CrmOrder).values(cancelled_at=None, test=False, currency="USD"))
    uow.commit()
    run = service.start_run(uow, shop_id=shop_id, kind=RunKind.RFM, as_of=AS_OF)
    uow.commit()
    service.execute_run(uow, shop_id=shop_id, run_id=run.id)
    scores = uow.session.scalars(select(SegmentScore)).all()
    # seed 11 gives the one customer orders; n = 1 ranks cannot spread, so the middle score
    assert [(s.r_score, s.f_score, s.m_score, s.rfm_segment) for s in scores] == [
        (3, 3, 3, RfmSegment.NEED_ATTENTION)
    ]


def test_a_second_run_while_one_is_running_is_refused(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.start_run(uow, shop_id=shop_id, as_of=AS_OF)
    uow.commit()
    with pytest.raises(service.Conflict):
        service.start_run(uow, shop_id=shop_id, as_of=AS_OF)
