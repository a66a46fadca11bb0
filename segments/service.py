"""Analytics use cases: start a computation, run it (RFM, then CLV and churn), read its progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, NotFound
from app.models import Shop
from segments import clv_scoring, dashboard_kpis, membership, rfm
from segments.models import RunKind, RunStatus, SegmentRun, Subject

SUBJECTS = (Subject.CUSTOMER, Subject.COMPANY)


def _shop(uow: UnitOfWork, shop_id: int) -> Shop:
    shop = uow.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found")
    return shop


def start_run(
    uow: UnitOfWork, *, shop_id: int, kind: RunKind = RunKind.FULL, as_of: datetime | None = None
) -> SegmentRun:
    """Record a queued run; a second one while another is queued or running is a Conflict."""
    _shop(uow, shop_id)
    busy = uow.session.scalars(
        select(SegmentRun.id).where(
            SegmentRun.shop_id == shop_id, SegmentRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING))
        )
    ).first()
    if busy is not None:
        raise Conflict("The analytics are already being computed; wait for that run to finish.")
    run = SegmentRun(shop_id=shop_id, kind=kind, status=RunStatus.QUEUED, as_of=as_of or utcnow(), total=0)
    uow.session.add(run)
    uow.session.flush()
    return run


def get_run(uow: UnitOfWork, *, shop_id: int, run_id: int) -> SegmentRun:
    run = uow.session.get(SegmentRun, run_id)
    if run is None or run.shop_id != shop_id:
        raise NotFound(f"analytics run {run_id} not found")
    return run


def latest_run(uow: UnitOfWork, *, shop_id: int, succeeded: bool = False) -> SegmentRun | None:
    """The shop's newest run (or newest successful one)."""
    query = select(SegmentRun).where(SegmentRun.shop_id == shop_id)
    if succeeded:
        query = query.where(SegmentRun.status == RunStatus.SUCCEEDED)
    return uow.session.scalars(query.order_by(SegmentRun.id.desc()).limit(1)).first()


def _progress(uow: UnitOfWork, run: SegmentRun, step: str) -> None:
    run.step = step
    uow.commit()


def _step_done(uow: UnitOfWork, run: SegmentRun, stats: dict[str, Any], steps: list[str]) -> None:
    run.done += 1
    run.stats = dict(stats)
    _progress(uow, run, steps[run.done] if run.done < len(steps) else "finishing")


def execute_run(uow: UnitOfWork, *, shop_id: int, run_id: int) -> SegmentRun:
    """Compute what the run asks for; each step commits, so the page can show progress.

    A run that is already finished is left alone (jobs may be delivered twice).
    """
    run = get_run(uow, shop_id=shop_id, run_id=run_id)
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        return run
    shop = _shop(uow, shop_id)
    rfm_subjects = SUBJECTS if run.kind in (RunKind.FULL, RunKind.RFM) else ()
    clv_subjects = SUBJECTS if run.kind in (RunKind.FULL, RunKind.CLV) else ()
    steps = [f"rfm:{s.value}" for s in rfm_subjects] + [f"clv:{s.value}" for s in clv_subjects]
    steps += ["segments", "metrics"]
    run.status, run.started_at, run.total, run.done = RunStatus.RUNNING, utcnow(), len(steps), 0
    _progress(uow, run, steps[0] if steps else "done")
    stats: dict[str, Any] = dict(run.stats or {})
    try:
        for subject in rfm_subjects:
            outcome = rfm.compute_rfm(
                uow.session,
                shop_id=shop_id,
                run_id=run.id,
                currency=shop.currency,
                as_of=run.as_of,
                subject=subject,
            )
            stats[f"rfm_{subject.value}"] = {
                "scored": outcome.scored,
                "entered": outcome.entered,
                "moved": outcome.moved,
                "left": outcome.left,
                "segments": outcome.segment_counts,
            }
            _step_done(uow, run, stats, steps)
        for subject in clv_subjects:
            stats[f"clv_{subject.value}"] = clv_scoring.score_clv(
                uow.session, subject, shop_id=shop_id, currency=shop.currency, as_of=run.as_of
            )
            _step_done(uow, run, stats, steps)
        # Rule-based segments read the scores just written: bring their members up to date.
        outcomes = membership.materialise_all(uow, shop_id=shop_id, now=run.as_of)
        stats["segments"] = {
            str(o.segment_id): {"members": o.members, "entered": o.entered, "exited": o.exited}
            for o in outcomes
        }
        _step_done(uow, run, stats, steps)
        # The dashboard's KPI tiles: business metrics over whole order history are too costly per page view.
        stats["kpis"] = dashboard_kpis.snapshot(uow, shop_id=shop_id, timezone=shop.timezone, now=run.as_of)
        _step_done(uow, run, stats, steps)
    except Exception as exc:
        uow.rollback()
        run = get_run(uow, shop_id=shop_id, run_id=run_id)
        run.status, run.error, run.finished_at = RunStatus.FAILED, f"{type(exc).__name__}: {exc}", utcnow()
        uow.commit()
        raise
    run.status, run.step, run.finished_at = RunStatus.SUCCEEDED, None, utcnow()
    uow.commit()
    return run
