"""RQ entry points of the webhooks context: process a delivery, sweep and purge the inbox."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import redis
from rq import Queue
from rq.job import Job

from app import services
from app.jobs import redis_connection
from webhooks.rules import WEBHOOK_QUEUE
from webhooks.service import inbox, processing, queueing
from webhooks.service.processing import Result

log = logging.getLogger(__name__)

# How long one processing job goes on taking its shop's next batches before it hands over to a new job.
CONTINUE_FOR_SECONDS = 20.0

# Removes a job from its queue and, only when it was still there (no worker has taken it), its hash.
_DROP_QUEUED_JOBS = """
local removed = 0
for i = 2, #ARGV do
  if redis.call('LREM', KEYS[1], 1, ARGV[i]) == 1 then
    redis.call('DEL', ARGV[1] .. ARGV[i])
    removed = removed + 1
  end
end
return removed
"""


class DeliveryFailed(RuntimeError):
    """The delivery's handler failed; raised so RQ retries the job with backoff."""


def process_delivery(delivery_id: int) -> str:
    """Process one inbox delivery, with the batch of its shop's pending deliveries it takes along.

    Raises when the delivery failed and may succeed later (RQ retries with backoff); a delivery
    parked as failed for good (a malformed payload) ends the job without an error: the webhook log
    shows it. The queued jobs of the other deliveries the batch completed are removed, and when the
    shop still has pending deliveries (more than one batch arrived), the next one is enqueued.
    """
    db = services().db
    started = time.monotonic()
    attempt = processing.run(db, delivery_id=delivery_id, before_batch=queueing.release)
    if not attempt.claimed:
        return f"delivery {delivery_id}: nothing to do"
    shop_id = attempt.claimed[0].shop_id
    _drop_queued_jobs(_settled(attempt, but=delivery_id))
    following = processing.oldest_pending(db, shop_id=shop_id)
    # A burst of more than one batch: go on with the next batches in this job, whose process has its
    # statements compiled and its connections open (a new job starts a new forked process from cold),
    # and leave the rest to a new job after CONTINUE_FOR_SECONDS. The deliveries these batches leave for
    # a retry are the sweeper's, as those of the first batch but its own are.
    while following is not None and time.monotonic() - started < CONTINUE_FOR_SECONDS:
        more = processing.run(db, delivery_id=following, before_batch=queueing.release)
        _drop_queued_jobs(_settled(more))
        following = processing.oldest_pending(db, shop_id=shop_id)
    if following is not None:
        queueing.request_processing(shop_id=shop_id, delivery_id=following)
    own = attempt.results.get(delivery_id)
    if own is Result.RETRY or (own is Result.FAILED and delivery_id not in attempt.permanent):
        if attempt.error is not None:
            raise attempt.error
        raise DeliveryFailed(attempt.errors.get(delivery_id, "the delivery failed"))
    processed = len(attempt.ids(Result.PROCESSED))
    outcome = own.value if own else "unknown"
    return f"delivery {delivery_id}: {outcome}; {processed} of {len(attempt.claimed)} processed"


def _settled(attempt: processing.Attempt, *, but: int | None = None) -> list[int]:
    """The deliveries an attempt finished one way or another (not left for a retry), but `but`."""
    return [
        c.id
        for c in attempt.claimed
        if c.id != but and attempt.results.get(c.id) in (Result.PROCESSED, Result.IGNORED, Result.FAILED)
    ]


def sweep_inbox() -> int:
    """Every minute: re-enqueue deliveries left received or processing (Redis was down, a worker died)."""
    with services().db.unit_of_work() as uow:
        requeues = inbox.sweep(uow)
        inbox.requeue_all(uow, requeues)
        uow.commit()
    if requeues:
        log.warning("webhook sweeper re-enqueued %d stuck deliveries", len(requeues))
    return len(requeues)


def purge_inbox() -> int:
    """Daily: delete processed and ignored deliveries older than the retention period."""
    with services().db.unit_of_work() as uow:
        deleted = inbox.purge(uow)
        uow.commit()
    log.info("webhook inbox purge deleted %d old deliveries", deleted)
    return deleted


def _drop_queued_jobs(delivery_ids: Sequence[int]) -> None:
    """Remove the still-queued processing jobs of deliveries another job has already completed."""
    if not delivery_ids or services().settings.jobs_inline:
        return
    ids = [inbox.processing_job_id(i) for i in delivery_ids]
    conn = redis_connection()
    try:
        removed = conn.eval(
            _DROP_QUEUED_JOBS,
            1,
            Queue(WEBHOOK_QUEUE, connection=conn).key,
            Job.redis_job_namespace_prefix,
            *ids,
        )
    except redis.RedisError as exc:
        # Harmless: each leftover job finds its delivery processed and ends at once.
        log.warning("could not drop %d redundant webhook jobs: %s", len(ids), exc)
        return
    log.debug("dropped %s of %d queued webhook jobs completed by a batch", removed, len(ids))
