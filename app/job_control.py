"""Per-shop background work: job ids that name their shop, and cancelling a shop's pending jobs.

The rule, for every job that works on one shop's behalf:

1. Give it an id from `shop_job_id(shop_id, ...)` ("shop-42_backfill_orders"). When the shop uninstalls,
   `cancel_shop_jobs(shop_id)` cancels its jobs that are still queued, scheduled (retries waiting
   included) or deferred, on every queue.
2. Start by checking the shop is still installed (`get_shop(uow, shop_id=...).is_installed`) and
   return without doing anything when it is not. Cancelling is best effort: a job may already be
   running, Redis may be unreachable at uninstall, or the job may have an id without the prefix.

Work that must still run after an uninstall must NOT carry the prefix: webhook deliveries (Shopify
sends the compliance topics, `shop/redact` among them, to uninstalled shops) and the compliance
handlers themselves.
"""

from __future__ import annotations

import logging

from flask import current_app
from rq import Queue
from rq.job import Job, JobStatus

from app.jobs import QUEUES, job_id, redis_connection

log = logging.getLogger(__name__)

SHOP_PART_PREFIX = "shop-"
# Only these will still run; a started job finishes (and must find the shop uninstalled).
CANCELLABLE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED})


def shop_job_id(shop_id: int, *parts: str | int) -> str:
    """A job id for work on one shop: shop_job_id(42, "backfill", "orders") -> "shop-42_backfill_orders"."""
    return job_id(f"{SHOP_PART_PREFIX}{int(shop_id)}", *parts)


def is_shop_job(job_id_: str, shop_id: int) -> bool:
    """Whether the job id was made by `shop_job_id` for this shop."""
    head = f"{SHOP_PART_PREFIX}{int(shop_id)}"
    return job_id_ == head or job_id_.startswith(head + "_")


def cancel_shop_jobs(shop_id: int) -> list[str]:
    """Cancel the shop's queued, scheduled and deferred jobs on every queue; the ids cancelled.

    Inline mode (no Redis) has nothing pending to cancel. Cancelled jobs move to RQ's canceled
    registry, and `app.jobs.enqueue` replaces a cancelled job when the same id is enqueued again
    (after a reinstall).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions["tradeline"].settings.jobs_inline:
        return []
    conn = redis_connection(app)
    candidates: list[str] = []
    for name in QUEUES:
        queue = Queue(name, connection=conn)
        for ids in (
            queue.get_job_ids(),
            queue.scheduled_job_registry.get_job_ids(cleanup=False),
            queue.deferred_job_registry.get_job_ids(cleanup=False),
        ):
            candidates += [i for i in ids if is_shop_job(i, shop_id)]
    cancelled: list[str] = []
    for job in Job.fetch_many(list(dict.fromkeys(candidates)), connection=conn):
        # Re-read the status: a worker may have started the job since the ids were listed.
        if job is None or job.get_status(refresh=True) not in CANCELLABLE_STATUSES:
            continue
        job.cancel()
        cancelled.append(job.id)
    if cancelled:
        log.info("cancelled %d pending job(s) of shop %s", len(cancelled), shop_id)
    return cancelled
