"""Processing inbox deliveries: claim them, run their handlers, record the outcome.

An attempt is two transactions. The first claims: it moves the delivery (and, for topics that
batch, up to `limit - 1` more received deliveries of the same shop) from `received` to
`processing`, counting the attempt, and commits, so a worker that dies mid-attempt leaves
`processing` rows the sweeper recognises. The second runs the handlers and marks each delivery
processed, ignored or failed, in one commit with the CRM changes they made.

Batching: an attempt claims its delivery and up to BATCH_LIMIT - 1 other pending deliveries of
the same shop. Those whose route names a `batch` argument go through `crm.service.import_batch`
together (one set of statements for the lot, the same result as one by one). The others run
after it (all of them when the batch fails), one by one, oldest first, each in a savepoint, so one
bad payload fails only itself. Running the batch first reorders deliveries of different topics,
which changes no result: every write lets the newest payload win and deletes are final.

Failure: a `DomainError` (a malformed payload, a shop gone) cannot succeed on a retry, so the
delivery is parked as `failed` at once. Any other error returns it to `received` with the error
stored, for the job's retry (with backoff) to try again, until its attempts reach MAX_ATTEMPTS;
then it is parked as `failed`.
"""

from __future__ import annotations

import enum
import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from app.db import Database, UnitOfWork, utcnow
from app.errors import DomainError
from crm import service as crm_service
from webhooks import registry
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.rules import MAX_ATTEMPTS, error_text

log = logging.getLogger(__name__)

# Deliveries one attempt may claim: a burst of 500 orders is one import_batch of ~100 statements.
BATCH_LIMIT = 500
T = WebhookDelivery.__table__


class Result(enum.StrEnum):
    """How one delivery's attempt ended."""

    PROCESSED = "processed"  # the handler ran
    IGNORED = "ignored"  # no handler for its topic (the registry changed since it was stored)
    FAILED = "failed"  # parked: cannot succeed, or out of attempts
    RETRY = "retry"  # failed this time; back to received for another attempt


@dataclass(frozen=True)
class Claimed:
    """A delivery an attempt has claimed."""

    id: int
    shop_id: int
    topic: str
    attempts: int


@dataclass
class Attempt:
    """What one attempt did: per claimed delivery, how it ended, and the error when it did not succeed."""

    claimed: list[Claimed] = field(default_factory=list)
    results: dict[int, Result] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    permanent: set[int] = field(default_factory=set)  # failed for good: a retry cannot succeed
    error: BaseException | None = None  # the exception that failed the whole attempt, if any

    def ids(self, *results: Result) -> list[int]:
        return [i for i, r in self.results.items() if r in results]


def claim(
    uow: UnitOfWork,
    *,
    delivery_id: int | None = None,
    shop_id: int | None = None,
    limit: int = BATCH_LIMIT,
    now: datetime | None = None,
    before_batch: Callable[[int], None] | None = None,
) -> list[Claimed]:
    """Move deliveries from received to processing, counting the attempt; the claimed ones, by id.

    With `delivery_id`: that delivery (even after earlier attempts), plus up to `limit - 1`
    never-attempted received deliveries of its shop. With `shop_id` alone: up to `limit` of them.
    `before_batch(shop_id)` runs before the pending deliveries are read (the job releases its
    shop's queued-job marker there). On PostgreSQL rows another attempt holds are skipped, never
    waited for.
    """
    now = now or utcnow()
    session = uow.session
    claimed: list[Claimed] = []
    if delivery_id is not None:
        own = _claim_rows(session, T.c.id == delivery_id, now)
        if not own:
            return []
        claimed += own
        shop_id = own[0].shop_id
        limit -= 1
    if shop_id is None:
        raise ValueError("claim needs a delivery_id or a shop_id")
    if before_batch is not None:
        before_batch(shop_id)
    if limit < 1:
        return claimed
    candidates: Select[Any] = select(T.c.id).where(
        T.c.shop_id == shop_id, T.c.status == DeliveryStatus.RECEIVED, T.c.attempts == 0
    )
    # Two statements, not UPDATE .. WHERE id IN (SELECT .. LIMIT n FOR UPDATE): PostgreSQL may run
    # such a subquery more than once and update more than n rows.
    ids = list(session.scalars(candidates.order_by(T.c.id).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        claimed += _claim_rows(session, T.c.id.in_(ids), now)
    return sorted(claimed, key=lambda c: c.id)


def _claim_rows(session: Session, which: Any, now: datetime) -> list[Claimed]:
    stmt = (
        update(T)
        .where(which, T.c.status == DeliveryStatus.RECEIVED)
        .values(status=DeliveryStatus.PROCESSING, attempts=T.c.attempts + 1, claimed_at=now)
        .returning(T.c.id, T.c.shop_id, T.c.topic, T.c.attempts)
    )
    return [Claimed(r.id, r.shop_id, r.topic, r.attempts) for r in session.execute(stmt)]


@dataclass(frozen=True)
class Loaded:
    """A claimed delivery with its payload, ready for its handler."""

    delivery: registry.Delivery
    payload: dict[str, Any] | None


def load(uow: UnitOfWork, ids: Sequence[int]) -> list[Loaded]:
    """The deliveries with these ids, with their payloads, oldest first."""
    rows = uow.session.execute(
        select(
            T.c.id,
            T.c.shop_id,
            T.c.topic,
            T.c.webhook_id,
            T.c.event_id,
            T.c.triggered_at,
            T.c.api_version,
            T.c.received_at,
            T.c.attempts,
            T.c.payload,
        )
        .where(T.c.id.in_(list(ids)))
        .order_by(T.c.id)
    )
    return [
        Loaded(
            registry.Delivery(
                id=r.id,
                shop_id=r.shop_id,
                topic=r.topic,
                webhook_id=r.webhook_id,
                event_id=r.event_id,
                triggered_at=r.triggered_at,
                api_version=r.api_version,
                received_at=r.received_at,
                attempts=r.attempts,
            ),
            r.payload,
        )
        for r in rows
    ]


def apply(uow: UnitOfWork, *, loaded: Sequence[Loaded], attempt: Attempt) -> None:
    """Run the handlers of the loaded deliveries (of one shop), recording each result in `attempt`.

    A single delivery runs without a savepoint and its error propagates (the caller records it);
    several run as one batch where their topics allow, else each in its own savepoint.
    """
    if not loaded:
        return
    shop_id = loaded[0].delivery.shop_id
    isolated = len(loaded) > 1
    singles = list(loaded)
    batch = [item for item in loaded if _batch_key(item) is not None and item.payload is not None]
    if len(batch) > 1:
        groups: dict[str, list[dict[str, Any]]] = {}
        for item in batch:
            groups.setdefault(_batch_key(item) or "", []).append(item.payload or {})
        try:
            with uow.session.begin_nested():
                crm_service.import_batch(uow, shop_id=shop_id, **groups)  # type: ignore[arg-type]
        except Exception as exc:
            log.warning(
                "batch of %d deliveries for shop %s failed (%s); running them one by one",
                len(batch),
                shop_id,
                error_text(exc, 300),
            )
        else:
            for item in batch:
                attempt.results[item.delivery.id] = Result.PROCESSED
            done = {item.delivery.id for item in batch}
            singles = [item for item in loaded if item.delivery.id not in done]
    for item in singles:
        if isolated:
            try:
                with uow.session.begin_nested():
                    _run_one(uow, item, attempt)
            except Exception as exc:
                _record_error(attempt, item.delivery, exc)
        else:
            _run_one(uow, item, attempt)


def _batch_key(item: Loaded) -> str | None:
    route = registry.route_for(item.delivery.topic)
    return route.batch if route is not None else None


def _run_one(uow: UnitOfWork, item: Loaded, attempt: Attempt) -> None:
    delivery = item.delivery
    route = registry.route_for(delivery.topic)
    if route is None:
        attempt.results[delivery.id] = Result.IGNORED
        attempt.errors[delivery.id] = f"no handler for topic {delivery.topic}"
        return
    if item.payload is None:
        attempt.results[delivery.id] = Result.FAILED
        attempt.errors[delivery.id] = "the delivery has no payload (its body was not JSON)"
        attempt.permanent.add(delivery.id)
        return
    registry.handler_of(route)(uow, shop_id=delivery.shop_id, payload=item.payload, delivery=delivery)
    attempt.results[delivery.id] = Result.PROCESSED


def _record_error(attempt: Attempt, delivery: registry.Delivery, exc: BaseException) -> None:
    hopeless = isinstance(exc, DomainError)
    if hopeless:
        attempt.permanent.add(delivery.id)
    parked = hopeless or delivery.attempts >= MAX_ATTEMPTS
    attempt.results[delivery.id] = Result.FAILED if parked else Result.RETRY
    attempt.errors[delivery.id] = error_text(exc)
    log.log(
        logging.ERROR if parked else logging.WARNING,
        "webhook delivery %s (%s) attempt %d failed%s: %s",
        delivery.id,
        delivery.topic,
        delivery.attempts,
        ", parked as failed" if parked else ", will be retried",
        attempt.errors[delivery.id],
    )


def mark(uow: UnitOfWork, attempt: Attempt, *, now: datetime | None = None) -> None:
    """Write each claimed delivery's result (processed, ignored, failed or back to received)."""
    now = now or utcnow()
    statuses = {
        Result.PROCESSED: DeliveryStatus.PROCESSED,
        Result.IGNORED: DeliveryStatus.IGNORED,
        Result.FAILED: DeliveryStatus.FAILED,
        Result.RETRY: DeliveryStatus.RECEIVED,
    }
    session = uow.session
    processed = attempt.ids(Result.PROCESSED)
    if processed:
        session.execute(
            update(T)
            .where(T.c.id.in_(processed))
            .values(status=DeliveryStatus.PROCESSED, processed_at=now, last_error=None)
        )
    for delivery_id, result in attempt.results.items():
        if result is Result.PROCESSED:
            continue
        session.execute(
            update(T)
            .where(T.c.id == delivery_id)
            .values(
                status=statuses[result],
                last_error=attempt.errors.get(delivery_id),
                processed_at=now if result is Result.IGNORED else None,
            )
        )


def run(
    db: Database,
    *,
    delivery_id: int,
    limit: int | None = None,
    before_batch: Callable[[int], None] | None = None,
) -> Attempt:
    """One attempt at a delivery and the batch of its shop it takes along: claim, run, mark, each committed.

    It spans transactions, so it takes the Database rather than a unit of work. An error that
    fails the whole attempt is recorded on every claimed delivery and returned in `Attempt.error`.
    """
    with db.unit_of_work() as uow:
        claimed = claim(uow, delivery_id=delivery_id, limit=limit or BATCH_LIMIT, before_batch=before_batch)
        uow.commit()
    return _attempt(db, claimed)


def oldest_pending(db: Database, *, shop_id: int) -> int | None:
    """The shop's oldest never-attempted received delivery, if any."""
    with db.unit_of_work() as uow:
        return uow.session.scalar(
            select(func.min(T.c.id)).where(
                T.c.shop_id == shop_id, T.c.status == DeliveryStatus.RECEIVED, T.c.attempts == 0
            )
        )


def drain(db: Database, *, shop_id: int, limit: int = BATCH_LIMIT) -> dict[Result, int]:
    """Process every never-attempted received delivery of the shop, `limit` per transaction.

    For the demo and benchmarks, which store a burst of deliveries without enqueueing jobs; the
    result is the same as the jobs' (oldest first, the same handlers and batches).
    """
    totals = dict.fromkeys(Result, 0)
    while True:
        with db.unit_of_work() as uow:
            claimed = claim(uow, shop_id=shop_id, limit=limit)
            uow.commit()
        if not claimed:
            return totals
        attempt = _attempt(db, claimed)
        for result in attempt.results.values():
            totals[result] += 1


def _attempt(db: Database, claimed: list[Claimed]) -> Attempt:
    attempt = Attempt(claimed=claimed)
    if not claimed:
        return attempt
    try:
        with _without_gc_pauses(), db.unit_of_work() as uow:
            loaded = load(uow, [c.id for c in claimed])
            apply(uow, loaded=loaded, attempt=attempt)
            mark(uow, attempt)
            uow.commit()
    except Exception as exc:
        attempt.error = exc
        attempt.results.clear()
        attempt.errors.clear()
        attempt.permanent.clear()
        by_id = {c.id: c for c in claimed}
        for c in claimed:
            _record_error(attempt, _bare_delivery(by_id[c.id]), exc)
        with db.unit_of_work() as uow:
            mark(uow, attempt)
            uow.commit()
    return attempt


@contextmanager
def _without_gc_pauses() -> Iterator[None]:
    """No automatic garbage collection while a batch is applied; collection resumes after it.

    A batch keeps ~500 decoded payloads alive until it commits, so the collector runs full
    collections over the whole heap in the middle of it: ~30 % of a worker's CPU per batch
    (BENCHMARKS.md, webhook processing). What a batch leaves in reference cycles is bounded by
    the batch and collected once it ends. Threads sharing the switch can only leave it enabled.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _bare_delivery(c: Claimed) -> registry.Delivery:
    """Enough of a delivery to record a failure (the attempt failed before or while loading it)."""
    return registry.Delivery(
        id=c.id,
        shop_id=c.shop_id,
        topic=c.topic,
        webhook_id="",
        event_id=None,
        triggered_at=None,
        api_version="",
        received_at=utcnow(),
        attempts=c.attempts,
    )
