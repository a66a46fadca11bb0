"""Enqueueing the processing of new deliveries: at most one queued job per shop at a time.

Every processing job claims a batch of its shop's pending deliveries, not only its own, so while
one of a shop's jobs waits in the queue, another job for a delivery of that shop would find its
delivery already done. So the intake enqueues a delivery's job (job id from the inbox id) only
when the shop has none queued; a delivery that finds one queued is taken by it. This turns a
burst of N deliveries into about N / BATCH_LIMIT jobs and spares the intake RQ's cost per
delivery (several Redis round trips and ~0.3 ms of CPU), which is most of what it does besides
the INSERT.

The marker is a Redis key per shop, set with NX when a job is enqueued (expiring after
STALE_AFTER, so a lost job cannot block the shop for longer) and deleted by a job as it starts to
claim, before it reads which deliveries are pending. Why nothing is left behind:
- a delivery that finds the marker set was committed before it looked, and the job that set the
  marker has not started (it deletes the marker first), so that job's claim will see it;
- a job that could not take every pending delivery (its batch was full, or it failed) enqueues
  the next one itself when it ends;
- anything else (Redis down, a worker killed, a marker whose job was lost) is older than
  STALE_AFTER soon and the sweeper re-enqueues it.
Without Redis (jobs inline) every delivery is processed at once, as before.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import nullcontext, suppress

import redis
from flask import current_app, has_app_context

from app.db import UnitOfWork
from app.jobs import enqueue, enqueue_after_commit, redis_connection
from webhooks.rules import PROCESS_JOB, WEBHOOK_QUEUE, WEBHOOK_RETRIES
from webhooks.service.inbox import STALE_AFTER, processing_job_id

log = logging.getLogger(__name__)

PENDING_KEY = "tradeline:webhooks:pending:{shop_id}"
PENDING_TTL_S = int(STALE_AFTER.total_seconds())


def pending_key(shop_id: int) -> str:
    return PENDING_KEY.format(shop_id=shop_id)


def _inline() -> bool:
    return bool(current_app.extensions["tradeline"].settings.jobs_inline)


def enqueue_new_delivery(uow: UnitOfWork, *, shop_id: int, delivery_id: int) -> None:
    """Once `uow` commits: enqueue the delivery's job, unless a job of its shop is queued to take it."""
    if _inline():
        enqueue_after_commit(
            uow,
            PROCESS_JOB,
            delivery_id,
            queue=WEBHOOK_QUEUE,
            job_id=processing_job_id(delivery_id),
            retries=WEBHOOK_RETRIES,
        )
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def hook() -> None:
        with nullcontext() if has_app_context() else app.app_context():
            request_processing(shop_id=shop_id, delivery_id=delivery_id)

    uow.after_commit(hook)


def request_processing(*, shop_id: int, delivery_id: int) -> bool:
    """Enqueue the (never attempted) delivery's job now, unless its shop has one queued; True if enqueued.

    A Redis failure is logged and swallowed: the delivery is committed, and the sweeper takes it.
    """
    if _inline():
        enqueue(
            PROCESS_JOB,
            delivery_id,
            queue=WEBHOOK_QUEUE,
            job_id=processing_job_id(delivery_id),
            retries=WEBHOOK_RETRIES,
        )
        return True
    key = pending_key(shop_id)
    job = processing_job_id(delivery_id)
    conn = redis_connection()
    try:
        if not _set_marker(conn, key, job):
            return False
    except redis.RedisError:
        log.exception(
            "could not enqueue %s for delivery %s (job id %s); the sweeper will",
            PROCESS_JOB,
            delivery_id,
            job,
        )
        return False
    try:
        enqueue(PROCESS_JOB, delivery_id, queue=WEBHOOK_QUEUE, job_id=job, retries=WEBHOOK_RETRIES)
    except redis.RedisError:
        log.exception(
            "could not enqueue %s for delivery %s (job id %s); the sweeper will",
            PROCESS_JOB,
            delivery_id,
            job,
        )
        # The marker must not hold back the shop's next deliveries (if Redis is gone, it expires).
        with suppress(redis.RedisError):
            conn.delete(key)
        return False
    return True


class _MarkerConnection(threading.local):
    """This thread's own connection for the marker's SET, with the pool it was made from."""

    connection: redis.Connection | None = None
    pool: redis.ConnectionPool | None = None
    pid: int = 0


_marker = _MarkerConnection()


def _set_marker(conn: redis.Redis, key: str, job: str) -> bool:
    """SET key job NX EX PENDING_TTL_S; True when it was set (no job of the shop was queued).

    Every delivery runs it, so it goes straight to a connection of this thread's own (made with the
    client's settings: address, database, timeouts), skipping redis-py's command and pool layers
    (argument checks, retry wrapper, connection health poll, metrics), which cost ~3x the round
    trip's own CPU. As the client does, a connection that fails is dropped and the command tried
    once more on a new one (which finds the marker set if the first attempt set it, so it reads it
    back), and a second failure raises.
    """
    pool = conn.connection_pool
    command = _pack_set(key, job)
    for attempt in (1, 2):
        connection = _marker.connection
        if connection is None or _marker.pool is not pool or _marker.pid != os.getpid():
            if connection is not None and _marker.pid == os.getpid():
                connection.disconnect()  # made for another client (another app in this process)
            connection = pool.connection_class(**pool.connection_kwargs)
            _marker.connection, _marker.pool, _marker.pid = connection, pool, os.getpid()
        try:
            connection.send_packed_command([command], check_health=False)
            if connection.read_response() is not None:
                return True
            if attempt == 1:
                return False
            # The first attempt may have set it before its connection failed: then it is ours.
            connection.send_command("GET", key, check_health=False)
            return _text(connection.read_response()) == job
        except (redis.ConnectionError, redis.TimeoutError):
            connection.disconnect()
            _marker.connection = None
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _pack_set(key: str, value: str) -> bytes:
    parts = [b"SET", key.encode(), value.encode(), b"NX", b"EX", str(PENDING_TTL_S).encode()]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)


def release(shop_id: int) -> None:
    """Called by a job before it reads the pending deliveries: later deliveries enqueue their own job."""
    if _inline():
        return
    try:
        redis_connection().delete(pending_key(shop_id))
    except redis.RedisError as exc:
        # The marker expires after PENDING_TTL_S; until then new deliveries wait for the sweeper.
        log.warning("could not release the pending-job marker of shop %s: %s", shop_id, exc)
