"""RQ entry points of the analytics: a run per shop (nightly, after syncs, or on request).

RFM ranks are relative to the whole shop, so one new order can move other customers' quintiles:
"incremental" here means a debounced set-based recompute a few minutes after orders change, not a
per-customer patch. It costs seconds even for large shops (BENCHMARKS.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app import services
from app.db import UnitOfWork
from app.errors import Conflict
from app.job_control import shop_job_id
from app.jobs import enqueue_after_commit
from app.models import Shop
from app.shops import get_shop
from segments import service
from segments.jobs_tags import request_all_pushes
from segments.models import RunKind, SegmentRun

log = logging.getLogger(__name__)

# Orders arriving in a burst (a backfill, a busy hour) lead to one refresh, this long after the first.
REFRESH_DELAY = timedelta(minutes=5)
JOB_TIMEOUT_S = 30 * 60


def request_run(uow: UnitOfWork, *, shop_id: int, kind: RunKind = RunKind.FULL) -> SegmentRun:
    """Queue a computation now ("recompute now", nightly); Conflict while one is queued or running."""
    run = service.start_run(uow, shop_id=shop_id, kind=kind)
    enqueue_after_commit(
        uow,
        run_analytics,
        shop_id,
        run.id,
        queue="default",
        job_id=shop_job_id(shop_id, "analytics", run.id),
        timeout=JOB_TIMEOUT_S,
    )
    return run


def schedule_refresh(uow: UnitOfWork, *, shop_id: int) -> None:
    """After orders changed: one RFM + CLV refresh a few minutes later, however many orders arrive.

    The fixed job id makes later calls a no-op while the refresh waits. Inline mode (the demo, no
    Redis) skips it: a seed of thousands of orders would recompute thousands of times; the demo
    computes once at the end instead.
    """
    if current_app.extensions["tradeline"].settings.jobs_inline:
        return
    enqueue_after_commit(
        uow,
        refresh_analytics,
        shop_id,
        queue="default",
        job_id=shop_job_id(shop_id, "analytics-refresh"),
        delay=REFRESH_DELAY,
    )


def _push_tags(uow: UnitOfWork, shop_id: int) -> None:
    """Members changed: queue the Shopify tag pushes of the shop's tagged segments (opt-in per segment).

    Inline mode (the demo, no Redis) has no worker to wait for Shopify and no real shop: it skips.
    """
    if current_app.extensions["tradeline"].settings.jobs_inline:
        return
    request_all_pushes(uow, shop_id=shop_id)
    uow.commit()


def run_analytics(shop_id: int, run_id: int) -> str:
    """Execute a queued run (a second delivery of the job finds it finished and does nothing)."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            return "skipped: shop uninstalled"
        run = service.execute_run(uow, shop_id=shop_id, run_id=run_id)
        _push_tags(uow, shop_id)
        return run.status.value


def refresh_analytics(shop_id: int) -> str:
    """The debounced refresh: start and execute a full run unless one is already under way."""
    with services().db.unit_of_work() as uow:
        if not get_shop(uow, shop_id=shop_id).is_installed:
            return "skipped: shop uninstalled"
        try:
            run = service.start_run(uow, shop_id=shop_id, kind=RunKind.FULL)
        except Conflict:
            return "skipped: a run is under way"
        uow.commit()
        status = service.execute_run(uow, shop_id=shop_id, run_id=run.id).status.value
        _push_tags(uow, shop_id)
        return status


def nightly_all_shops() -> dict[str, int]:
    """Periodic (nightly): a full run for every installed shop."""
    totals = {"queued": 0, "busy": 0}
    with services().db.unit_of_work() as uow:
        shop_ids = list(
            uow.session.scalars(
                select(Shop.id).where(Shop.installed_at.is_not(None), Shop.uninstalled_at.is_(None))
            )
        )
    for shop_id in shop_ids:
        with services().db.unit_of_work() as uow:
            try:
                request_run(uow, shop_id=shop_id)
            except Conflict:
                totals["busy"] += 1
                continue
            uow.commit()
            totals["queued"] += 1
    log.info("nightly analytics queued for %d shops (%d busy)", totals["queued"], totals["busy"])
    return totals
