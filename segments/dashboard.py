"""Read-side queries of the analytics pages: the RFM grid, the CLV histogram, the churn-risk
list, segment sizes over time, the backtest and a rule-based segment's members and history (the KPI
tiles are in segments.dashboard_kpis).

Every figure is aggregated in SQL (one statement per chart); Python only shapes the few result rows.
Where a figure cannot be computed (no orders, nobody scored) it is None and the page says why: a
ratio is never divided by zero and no NaN reaches a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import String, and_, case, cast, func, null, select

from app.db import UnitOfWork
from app.money import round_money
from crm.models import CrmCompany, CrmCustomer
from segments.models import (
    MemberChange,
    RunStatus,
    Segment,
    SegmentMember,
    SegmentMemberEvent,
    SegmentRun,
    SegmentScore,
    Subject,
)
from segments.rfm import SEGMENT_LABELS, SEGMENT_MAP

CHURN_LIST_SIZE = 20
HISTOGRAM_BINS = 10
SIZE_HISTORY_RUNS = 30  # the newest successful runs drawn in "segments over time"


@dataclass(frozen=True)
class GridCell:
    r: int
    f: int
    segment: str
    label: str
    count: int
    revenue: Decimal
    share: float  # count / the busiest cell's count, 0..1, for the heat colour


@dataclass(frozen=True)
class Bin:
    low: Decimal
    high: Decimal | None  # None: the open last bin ("and above")
    count: int


@dataclass(frozen=True)
class AtRisk:
    subject_id: int
    name: str
    predicted_spend_365: Decimal
    churn_risk_pct: Decimal
    monetary: Decimal
    last_order_at: datetime
    rfm_label: str


@dataclass
class SizePoint:
    at: datetime
    counts: dict[str, int] = field(default_factory=dict)


def _subject_filter(shop_id: int, subject: Subject) -> list[Any]:
    return [SegmentScore.shop_id == shop_id, SegmentScore.subject == subject]


def rfm_grid(uow: UnitOfWork, *, shop_id: int, subject: Subject, currency: str) -> list[list[GridCell]]:
    """5 x 5 cells, rows R = 5..1 (most recent first), columns F = 1..5: count and revenue per cell."""
    rows = uow.session.execute(
        select(
            SegmentScore.r_score,
            SegmentScore.f_score,
            func.count(),
            func.coalesce(func.sum(SegmentScore.monetary), 0),
        )
        .where(*_subject_filter(shop_id, subject))
        .group_by(SegmentScore.r_score, SegmentScore.f_score)
    ).all()
    found = {(int(r), int(f)): (int(n), Decimal(m)) for r, f, n, m in rows}
    busiest = max((n for n, _ in found.values()), default=0)
    grid = []
    for r in range(5, 0, -1):
        line = []
        for f in range(1, 6):
            count, revenue = found.get((r, f), (0, Decimal(0)))
            segment = SEGMENT_MAP[r][f]
            line.append(
                GridCell(
                    r=r,
                    f=f,
                    segment=segment.value,
                    label=SEGMENT_LABELS[segment],
                    count=count,
                    revenue=round_money(revenue, currency),
                    share=count / busiest if busiest else 0.0,
                )
            )
        grid.append(line)
    return grid


def _nice_step(top: Decimal, bins: int) -> Decimal:
    """A round bin width (1, 2, 2.5 or 5 times a power of ten) so that `bins` bins reach `top`."""
    raw = top / bins
    power = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10


def clv_histogram(uow: UnitOfWork, *, shop_id: int, subject: Subject) -> list[Bin]:
    """Predicted spend in the next 365 days in round bins; the long tail above the 95th percentile is
    one open bin, so a few whales do not squash everyone else into the first bar. Empty when unfitted."""
    value = SegmentScore.predicted_spend_365
    where = [*_subject_filter(shop_id, subject), value.is_not(None)]
    total = int(uow.session.scalar(select(func.count()).where(*where)) or 0)
    if not total:
        return []
    p95 = uow.session.scalar(select(value).where(*where).order_by(value).offset(int(total * 0.95)).limit(1))
    top = Decimal(p95 or 0)
    if top <= 0:
        return [Bin(Decimal(0), None, total)]
    step = _nice_step(top, HISTOGRAM_BINS)
    # Closed bins up to the first round edge at or above the 95th percentile, then one open bin.
    edges = [step * i for i in range(int(-(-top // step)) + 1)]
    columns = [
        func.coalesce(func.sum(case((and_(value >= low, value < high), 1), else_=0)), 0)
        for low, high in pairwise(edges)
    ]
    columns.append(func.coalesce(func.sum(case((value >= edges[-1], 1), else_=0)), 0))
    counts = uow.session.execute(select(*columns).where(*where)).one()
    bins = [Bin(low, high, int(n)) for low, high, n in zip(edges, edges[1:], counts, strict=False)]
    bins.append(Bin(edges[-1], None, int(counts[-1])))
    return bins


def churn_risk_list(
    uow: UnitOfWork, *, shop_id: int, subject: Subject, limit: int = CHURN_LIST_SIZE
) -> list[AtRisk]:
    """The accounts most worth saving: predicted spend x churn risk, highest first."""
    risk = 1 - SegmentScore.p_alive
    worth = SegmentScore.predicted_spend_365 * risk
    if subject is Subject.CUSTOMER:
        name = func.coalesce(
            func.nullif(
                func.trim(
                    func.coalesce(CrmCustomer.first_name, "") + " " + func.coalesce(CrmCustomer.last_name, "")
                ),
                "",
            ),
            CrmCustomer.email,
            "Customer " + cast(CrmCustomer.id, String),
        )
        join = (CrmCustomer, CrmCustomer.id == SegmentScore.customer_id)
        key = SegmentScore.customer_id
    else:
        name = CrmCompany.name
        join = (CrmCompany, CrmCompany.id == SegmentScore.company_id)
        key = SegmentScore.company_id
    rows = uow.session.execute(
        select(
            key,
            name,
            SegmentScore.predicted_spend_365,
            SegmentScore.p_alive,
            SegmentScore.monetary,
            SegmentScore.last_order_at,
            SegmentScore.rfm_segment,
        )
        .join(*join)
        .where(
            *_subject_filter(shop_id, subject),
            SegmentScore.p_alive.is_not(None),
            SegmentScore.p_alive < 1,
            SegmentScore.predicted_spend_365 > 0,
        )
        .order_by(worth.desc(), key)
        .limit(limit)
    ).all()
    return [
        AtRisk(
            subject_id=row[0],
            name=row[1] or "",
            predicted_spend_365=Decimal(row[2]),
            churn_risk_pct=((1 - Decimal(row[3])) * 100).quantize(Decimal("0.1")),
            monetary=Decimal(row[4]),
            last_order_at=row[5],
            rfm_label=SEGMENT_LABELS[row[6]],
        )
        for row in rows
    ]


def segment_sizes(uow: UnitOfWork, *, shop_id: int, subject: Subject) -> list[SizePoint]:
    """RFM segment sizes after each of the newest successful runs, oldest first (from run.stats)."""
    runs = uow.session.scalars(
        select(SegmentRun)
        .where(
            SegmentRun.shop_id == shop_id,
            SegmentRun.status == RunStatus.SUCCEEDED,
            SegmentRun.finished_at.is_not(None),
        )
        .order_by(SegmentRun.id.desc())
        .limit(SIZE_HISTORY_RUNS)
    ).all()
    points = []
    for run in reversed(runs):
        counts = ((run.stats or {}).get(f"rfm_{subject.value}") or {}).get("segments")
        if counts:
            assert run.finished_at is not None
            points.append(SizePoint(run.finished_at, {k: int(v) for k, v in counts.items()}))
    return points


def clv_stats(run: SegmentRun | None, subject: Subject) -> dict[str, Any]:
    """The run's CLV section for the subject: {"status", "reason", "backtest", ...} or {}."""
    if run is None:
        return {}
    return dict((run.stats or {}).get(f"clv_{subject.value}") or {})


def latest_runs(uow: UnitOfWork, *, shop_id: int) -> tuple[SegmentRun | None, SegmentRun | None]:
    """(the newest successful run, the run under way or None)."""
    finished = uow.session.scalars(
        select(SegmentRun)
        .where(SegmentRun.shop_id == shop_id, SegmentRun.status == RunStatus.SUCCEEDED)
        .order_by(SegmentRun.id.desc())
        .limit(1)
    ).first()
    busy = uow.session.scalars(
        select(SegmentRun)
        .where(SegmentRun.shop_id == shop_id, SegmentRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)))
        .order_by(SegmentRun.id.desc())
        .limit(1)
    ).first()
    return finished, busy


# -- one rule-based segment -----------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    subject_id: int
    name: str
    email: str | None
    entered_at: datetime
    monetary: Decimal | None
    rfm_label: str | None


def segment_members(uow: UnitOfWork, *, segment: Segment, page: int, per_page: int) -> list[Member]:
    """One page of members, newest entries first (offset paging: pages are small and shallow)."""
    if segment.subject is Subject.CUSTOMER:
        key = SegmentMember.customer_id
        row = CrmCustomer
        name = func.trim(
            func.coalesce(CrmCustomer.first_name, "") + " " + func.coalesce(CrmCustomer.last_name, "")
        )
        email = CrmCustomer.email
        score_key = SegmentScore.customer_id
    else:
        key = SegmentMember.company_id
        row = CrmCompany
        name = CrmCompany.name
        email = null()  # companies have no email of their own
        score_key = SegmentScore.company_id
    rows = uow.session.execute(
        select(key, name, email, SegmentMember.entered_at, SegmentScore.monetary, SegmentScore.rfm_segment)
        .join(row, row.id == key)
        .outerjoin(SegmentScore, score_key == key)
        .where(SegmentMember.segment_id == segment.id)
        .order_by(SegmentMember.entered_at.desc(), key)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [
        Member(
            subject_id=r[0],
            name=(r[1] or "").strip() or (r[2] or f"#{r[0]}"),
            email=r[2] if segment.subject is Subject.CUSTOMER else None,
            entered_at=r[3],
            monetary=None if r[4] is None else Decimal(r[4]),
            rfm_label=None if r[5] is None else SEGMENT_LABELS[r[5]],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class HistoryPoint:
    at: datetime
    entered: int
    exited: int
    size: int


def segment_history(uow: UnitOfWork, *, segment_id: int) -> list[HistoryPoint]:
    """The segment's size after each materialisation, from its entered/exited events."""
    rows = uow.session.execute(
        select(
            SegmentMemberEvent.occurred_at,
            func.coalesce(func.sum(case((SegmentMemberEvent.change == MemberChange.ENTERED, 1), else_=0)), 0),
            func.coalesce(func.sum(case((SegmentMemberEvent.change == MemberChange.EXITED, 1), else_=0)), 0),
        )
        .where(SegmentMemberEvent.segment_id == segment_id)
        .group_by(SegmentMemberEvent.occurred_at)
        .order_by(SegmentMemberEvent.occurred_at)
    ).all()
    size, points = 0, []
    for at, entered, exited in rows:
        size += int(entered) - int(exited)
        points.append(HistoryPoint(at, int(entered), int(exited), size))
    return points
