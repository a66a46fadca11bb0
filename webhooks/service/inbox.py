"""The inbox over time: the sweeper that lets nothing stay unprocessed, the retry action, the webhook
log's queries, and the purge of old processed rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, exists, func, or_, select, update

from app.db import UnitOfWork, utcnow
from app.errors import Conflict
from app.jobs import enqueue_after_commit, job_id
from app.tenancy import get_for_shop
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import MAX_ATTEMPTS, PROCESS_JOB, WEBHOOK_QUEUE, WEBHOOK_RETRIES

if TYPE_CHECKING:
    from webhooks.registry import Delivery

T = WebhookDelivery.__table__
# Longer than the longest wait between a job's retries (300 s) and than a job may run (RQ's default
# timeout, 180 s): a row older than this in received or processing has lost its job.
STALE_AFTER = timedelta(minutes=10)
# Rows re-enqueued per sweep; a backlog larger than this is taken over the following minutes.
SWEEP_LIMIT = 1000
# Processed and ignored rows are kept this long: long enough to dedupe Shopify's retries (at most
# 4 hours) and a late delivery (up to a day), and to read in the webhook log.
KEEP_PROCESSED = timedelta(days=30)
LOG_PAGE_SIZE = 50


@dataclass(frozen=True)
class Requeue:
    """A delivery the sweeper re-enqueues, with the job id that makes the re-enqueue idempotent."""

    delivery_id: int
    job_id: str


def processing_job_id(delivery_id: int, attempts: int = 0) -> str:
    """The RQ job id for processing a delivery that has had `attempts` attempts.

    A never-attempted delivery always gets the same id (the intake's), so sweeping one whose job is
    still queued changes nothing; after an attempt the id names it, so a lost retry is replaced once.
    """
    if attempts == 0:
        return job_id("webhook", delivery_id)
    return job_id("webhook", delivery_id, "retry", attempts)


def enqueue_processing(uow: UnitOfWork, delivery_id: int, *, attempts: int = 0) -> None:
    """Enqueue this delivery's own processing job on the webhooks queue once `uow` commits."""
    enqueue_after_commit(
        uow,
        PROCESS_JOB,
        delivery_id,
        queue=WEBHOOK_QUEUE,
        job_id=processing_job_id(delivery_id, attempts),
        retries=WEBHOOK_RETRIES,
    )


def sweep(
    uow: UnitOfWork,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    limit: int = SWEEP_LIMIT,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[Requeue]:
    """Find deliveries stuck in received or processing; return those to re-enqueue (oldest first).

    A delivery left processing longer than `stale_after` lost its worker: it goes back to received,
    or is parked as failed when that was its last attempt (a payload that kills its worker must not
    loop forever). A received delivery untouched for `stale_after` lost its job (Redis was down at
    intake, or the job was lost). The caller enqueues the returned jobs after committing.
    """
    cutoff = (now or utcnow()) - stale_after
    stuck = and_(T.c.status == DeliveryStatus.PROCESSING, T.c.claimed_at < cutoff)
    uow.session.execute(
        update(T)
        .where(stuck, T.c.attempts >= max_attempts)
        .values(
            status=DeliveryStatus.FAILED,
            last_error=func.coalesce(T.c.last_error, "the worker stopped while processing it"),
        )
    )
    uow.session.execute(update(T).where(stuck).values(status=DeliveryStatus.RECEIVED))
    rows = uow.session.execute(
        select(T.c.id, T.c.attempts)
        .where(
            T.c.status == DeliveryStatus.RECEIVED,
            or_(T.c.claimed_at < cutoff, and_(T.c.claimed_at.is_(None), T.c.received_at < cutoff)),
        )
        .order_by(T.c.id)
        .limit(limit)
    ).all()
    return [Requeue(row.id, processing_job_id(row.id, row.attempts)) for row in rows]


def retry_delivery(uow: UnitOfWork, *, shop_id: int, delivery_id: int) -> WebhookDelivery:
    """Queue a failed delivery of this shop again, with a fresh set of attempts (after the commit)."""
    delivery = get_for_shop(uow.session, WebhookDelivery, shop_id, delivery_id)
    if delivery.status is not DeliveryStatus.FAILED:
        raise Conflict(
            f"delivery {delivery_id} is {delivery.status.value}; only failed deliveries are retried"
        )
    if delivery.payload is None:
        raise Conflict(
            f"delivery {delivery_id} has no payload (its body was not JSON); a retry cannot succeed"
        )
    delivery.status = DeliveryStatus.RECEIVED
    delivery.attempts = 0
    delivery.claimed_at = None
    uow.session.flush()
    enqueue_processing(uow, delivery.id)
    return delivery


@dataclass(frozen=True)
class LogEntry:
    """One delivery as the webhook log shows it (no payload)."""

    id: int
    topic: str
    webhook_id: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None
    retryable: bool  # failed, with a payload a retry could process


def list_deliveries(
    uow: UnitOfWork,
    *,
    shop_id: int,
    status: DeliveryStatus | None = None,
    topic: str | None = None,
    before_id: int | None = None,
    limit: int = LOG_PAGE_SIZE,
) -> list[LogEntry]:
    """The shop's deliveries, newest first, `limit` of them older than `before_id`."""
    query = select(
        T.c.id,
        T.c.topic,
        T.c.webhook_id,
        T.c.status,
        T.c.attempts,
        T.c.last_error,
        T.c.received_at,
        T.c.processed_at,
        T.c.payload.is_not(None).label("has_payload"),
    ).where(T.c.shop_id == shop_id)
    if status is not None:
        query = query.where(T.c.status == status)
    if topic:
        query = query.where(T.c.topic == topic)
    if before_id is not None:
        query = query.where(T.c.id < before_id)
    rows = uow.session.execute(query.order_by(T.c.id.desc()).limit(limit))
    return [
        LogEntry(
            id=r.id,
            topic=r.topic,
            webhook_id=r.webhook_id,
            status=r.status,
            attempts=r.attempts,
            last_error=r.last_error,
            received_at=r.received_at,
            processed_at=r.processed_at,
            retryable=r.status is DeliveryStatus.FAILED and bool(r.has_payload),
        )
        for r in rows
    ]


def status_counts(uow: UnitOfWork, *, shop_id: int) -> dict[DeliveryStatus, int]:
    """How many of the shop's deliveries are in each status."""
    rows = uow.session.execute(
        select(T.c.status, func.count()).where(T.c.shop_id == shop_id).group_by(T.c.status)
    )
    counts = dict.fromkeys(DeliveryStatus, 0)
    counts.update({DeliveryStatus(status): n for status, n in rows})
    return counts


def shop_topics(uow: UnitOfWork, *, shop_id: int) -> list[str]:
    """The topics the shop has deliveries of, for the log's filter."""
    return list(
        uow.session.scalars(select(T.c.topic).where(T.c.shop_id == shop_id).distinct().order_by(T.c.topic))
    )


def superseded(uow: UnitOfWork, *, delivery: Delivery) -> bool:
    """Whether a delivery of the same shop and topic triggered after this one is processed or pending.

    For topics whose payload carries nothing to order by in the CRM (shop/update): Shopify's
    X-Shopify-Triggered-At orders them, and only the newest is applied (a pending newer one will be;
    a failed one can be retried). A delivery without that header cannot be ordered and applies.
    """
    if delivery.triggered_at is None:
        return False
    newer = exists().where(
        T.c.shop_id == delivery.shop_id,
        T.c.topic == delivery.topic,
        T.c.status.in_((DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING, DeliveryStatus.PROCESSED)),
        T.c.triggered_at > delivery.triggered_at,
        T.c.id != delivery.id,
    )
    return bool(uow.session.scalar(select(newer)))


def purge(uow: UnitOfWork, *, now: datetime | None = None, keep: timedelta = KEEP_PROCESSED) -> int:
    """Delete processed and ignored deliveries received longer than `keep` ago; failed ones stay."""
    cutoff = (now or utcnow()) - keep
    result = uow.session.execute(
        delete(T).where(
            T.c.status.in_((DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED)), T.c.received_at < cutoff
        )
    )
    return int(result.rowcount or 0)


def requeue_all(uow: UnitOfWork, requeues: Sequence[Requeue]) -> None:
    """Enqueue the sweeper's jobs once `uow` commits."""
    for item in requeues:
        enqueue_after_commit(
            uow,
            PROCESS_JOB,
            item.delivery_id,
            queue=WEBHOOK_QUEUE,
            job_id=item.job_id,
            retries=WEBHOOK_RETRIES,
        )
