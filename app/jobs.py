"""Background jobs: RQ queues by urgency, enqueue after commit, and an inline mode when Redis is not set.

Callers use one code path whatever the mode:

    enqueue_after_commit(uow, "app.auth.jobs.refresh_token", shop_id, job_id=job_id("refresh", shop_id))

With `REDIS_URL` set the job goes to RQ and a `tradeline worker` runs it. Without it (the embedded
default) the job runs synchronously in this process, in a fresh app context, once the transaction has
committed: the same retry count applies at once (no sleeping), failures are logged and kept in a short
in-process list, and scheduled jobs (`at` / `delay`) run immediately instead of later.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.worker_registration import REDIS_WORKER_KEYS

from app.db import UnitOfWork, utcnow
from app.job_ids import func_path, resolve_func

# Callers name their jobs through this module.
from app.job_ids import job_id as job_id
from app.logging_setup import current_log_context, log_context

log = logging.getLogger(__name__)

# Highest priority first: a worker drains `webhooks` before it looks at `default`, then `bulk`.
QUEUES = ("webhooks", "default", "bulk")
DEFAULT_QUEUE = "default"
DEFAULT_RETRIES = 3
# Waits before the 1st, 2nd, 3rd... retry; RQ reuses the last one for any further retry.
RETRY_INTERVALS_S = (10, 60, 300)
# A job with one of these statuses will still run: enqueueing the same id again would run the work twice.
PENDING_STATUSES = frozenset(
    {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.CREATED}
)
INLINE_FAILURES_KEPT = 100
REDIS_TIMEOUT_S = 5
_RQ_JOB_ID = re.compile(r"[A-Za-z0-9_-]+")
_EXTENSION = "tradeline_jobs"


@dataclass(frozen=True)
class JobRef:
    """What enqueue did: the job's id, queue and status, and whether a new job was created."""

    id: str
    queue: str
    status: str
    created: bool


@dataclass(frozen=True)
class FailedJob:
    """A job that used up its retries."""

    id: str
    func: str
    queue: str
    error: str
    ended_at: datetime | None


def enqueue(
    func: str | Callable[..., Any],
    *args: Any,
    queue: str = DEFAULT_QUEUE,
    job_id: str | None = None,
    retries: int = DEFAULT_RETRIES,
    at: datetime | None = None,
    delay: timedelta | float | None = None,
    retry_intervals: Sequence[int] = RETRY_INTERVALS_S,
    timeout: int | None = None,
    **kwargs: Any,
) -> JobRef:
    """Run `func(*args, **kwargs)` in the background (now; or `at` a time / after `delay`).

    Pass ids, never ORM objects. With `job_id`, a job with that id that is still queued, started,
    scheduled or deferred is left alone and returned (`created=False`); a finished or failed one is
    replaced. A failing job is retried `retries` times, waiting `retry_intervals` seconds (the last
    one repeats). Inline mode (no REDIS_URL) runs the job here and now, `at`/`delay` included, with
    the retries applied at once. Prefer `enqueue_after_commit` from services: this enqueues immediately.
    """
    _check_options(queue=queue, retries=retries, at=at, delay=delay, job_id=job_id)
    path = func_path(func)
    resolve_func(path)  # a typo fails here, in the caller, not later on a worker
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.extensions["tradeline"].settings
    if settings.jobs_inline:
        return _run_inline(app, path, args, kwargs, queue=queue, job_id=job_id, retries=retries)
    when = at
    if delay is not None:
        when = utcnow() + (delay if isinstance(delay, timedelta) else timedelta(seconds=delay))
    return _enqueue_redis(
        redis_connection(app),
        path,
        args,
        kwargs,
        queue=queue,
        job_id=job_id,
        retry=Retry(max=retries, interval=list(retry_intervals)) if retries else None,
        when=when,
        timeout=timeout,
    )


def enqueue_after_commit(uow: UnitOfWork, func: str | Callable[..., Any], *args: Any, **opts: Any) -> None:
    """Enqueue the job once `uow` commits; a rollback enqueues nothing. Services use this."""
    path = func_path(func)
    resolve_func(path)  # fail now, in the caller, rather than after the commit
    _check_options(**opts)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # The request id of whoever enqueued, so the job's log lines can be traced back to it.
    context = current_log_context()

    def hook() -> None:
        # Commits normally happen inside the caller's app context; a bare one gets the app's.
        app_context = nullcontext() if has_app_context() else app.app_context()
        with app_context, log_context(**context):
            try:
                enqueue(path, *args, **opts)
            except redis.RedisError:
                # The data is committed and cannot be un-committed: say so loudly and let the caller's
                # sweeper / reconciliation pick the work up, rather than failing a request that succeeded.
                log.exception("could not enqueue %s after commit (job id %s)", path, opts.get("job_id"))

    uow.after_commit(hook)


def redis_connection(app: Flask | None = None) -> redis.Redis:
    """The app's Redis client (one pool per process; redis-py resets it after a fork)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = _state(app)
    if state.get("redis") is None:
        url = app.extensions["tradeline"].settings.REDIS_URL
        if not url:
            raise RuntimeError("REDIS_URL is not set: jobs run inline and there is no Redis to talk to")
        state["redis"] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
        )
    return state["redis"]


def queue_health() -> dict[str, Any]:
    """Counts per queue and the number of workers, in one Redis round trip (admin home and /healthz)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions["tradeline"].settings.jobs_inline:
        failures = _inline_failures(app)
        return {
            "mode": "inline",
            "ok": True,
            "workers": 0,
            "queues": {
                name: {
                    "queued": 0,
                    "started": 0,
                    "scheduled": 0,
                    "deferred": 0,
                    "failed": sum(1 for f in failures if f.queue == name),
                }
                for name in QUEUES
            },
        }
    conn = redis_connection(app)
    fields = ("queued", "started", "scheduled", "deferred", "failed")
    try:
        with conn.pipeline(transaction=False) as pipe:
            for name in QUEUES:
                q = Queue(name, connection=conn)
                pipe.llen(q.key)
                for registry in (
                    q.started_job_registry,
                    q.scheduled_job_registry,
                    q.deferred_job_registry,
                    q.failed_job_registry,
                ):
                    pipe.zcard(registry.key)
            pipe.scard(REDIS_WORKER_KEYS)
            counts = pipe.execute()
    except redis.RedisError as exc:
        log.warning("queue health: Redis unavailable: %s", exc)
        return {"mode": "redis", "ok": False, "error": f"cannot reach Redis ({exc.__class__.__name__})"}
    queues = {
        name: dict(zip(fields, counts[i * 5 : i * 5 + 5], strict=True)) for i, name in enumerate(QUEUES)
    }
    return {"mode": "redis", "ok": True, "workers": counts[-1], "queues": queues}


def failed_jobs(limit: int = 50) -> list[FailedJob]:
    """The most recently failed jobs across all queues, newest first."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions["tradeline"].settings.jobs_inline:
        return list(reversed(_inline_failures(app)))[:limit]
    conn = redis_connection(app)
    found: list[FailedJob] = []
    for name in QUEUES:
        registry = Queue(name, connection=conn).failed_job_registry
        # Scored by expiry (failure time + failure_ttl), so the highest scores are the latest failures.
        ids = registry.get_job_ids(0, limit - 1, desc=True, cleanup=False)
        for job in Job.fetch_many(ids, connection=conn):
            if job is not None:
                found.append(_failed_job(job, name))
    found.sort(key=lambda f: f.ended_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return found[:limit]


def _failed_job(job: Job, queue: str) -> FailedJob:
    try:
        func = job.func_name
    except Exception:  # an unreadable payload is still a failed job worth listing
        func = "<unreadable>"
    result = job.latest_result()
    exc_text = ((result.exc_string if result else None) or "").strip()
    error = exc_text.splitlines()[-1] if exc_text else "retries exhausted"
    return FailedJob(id=job.id, func=func, queue=queue, error=error[:300], ended_at=job.ended_at)


def _enqueue_redis(
    conn: redis.Redis,
    path: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    queue: str,
    job_id: str | None,
    retry: Retry | None,
    when: datetime | None,
    timeout: int | None,
) -> JobRef:
    q = Queue(queue, connection=conn)
    if job_id is not None:
        existing = _fetch(conn, job_id)
        if existing is not None:
            status = existing.get_status(refresh=False)
            if status in PENDING_STATUSES:
                log.info("job %s already %s; not enqueued again", job_id, status.value)
                return JobRef(id=job_id, queue=existing.origin, status=status.value, created=False)
            # A finished or failed job keeps its id for result_ttl / failure_ttl (a year by default):
            # clear it so the same work can run again.
            existing.delete()
    # The request that caused the job, so its log lines can be followed into the worker.
    request_id = current_log_context().get("request_id")
    # create_job + enqueue_job/schedule_job rather than q.enqueue(): enqueue() would take job kwargs such
    # as `ttl` or `meta` as its own options, and enqueue_at() ignores `unique`.
    job = q.create_job(
        path,
        args=args,
        kwargs=kwargs,
        job_id=job_id,
        retry=retry,
        timeout=timeout,
        meta={"request_id": request_id} if request_id else None,
        status=JobStatus.SCHEDULED if when else JobStatus.QUEUED,
    )
    try:
        if when is not None:
            q.schedule_job(job, when, unique=job_id is not None)
        else:
            q.enqueue_job(job, unique=job_id is not None)
    except DuplicateJobError:
        # Another process enqueued the same work between our check and now: theirs stands.
        other = _fetch(conn, job_id or "")
        status = other.get_status(refresh=False).value if other else JobStatus.QUEUED.value
        return JobRef(id=job.id, queue=queue, status=status, created=False)
    log.info("enqueued %s as job %s on %s", path, job.id, queue)
    return JobRef(id=job.id, queue=queue, status=job.get_status(refresh=False).value, created=True)


def _check_options(
    queue: str = DEFAULT_QUEUE,
    retries: int = DEFAULT_RETRIES,
    at: datetime | None = None,
    delay: timedelta | float | None = None,
    job_id: str | None = None,
    **_: Any,
) -> None:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")
    if retries < 0:
        raise ValueError("retries must be 0 or more")
    if at is not None and delay is not None:
        raise ValueError("give `at` or `delay`, not both")
    if at is not None and at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    if job_id is not None and not _RQ_JOB_ID.fullmatch(job_id):
        raise ValueError(f"job id {job_id!r}: only letters, digits, '_' and '-'; build it with job_id()")


def _fetch(conn: redis.Redis, id_: str) -> Job | None:
    try:
        return Job.fetch(id_, connection=conn)
    except NoSuchJobError:
        return None


def _run_inline(
    app: Flask,
    path: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    queue: str,
    job_id: str | None,
    retries: int,
) -> JobRef:
    id_ = job_id or uuid.uuid4().hex
    context = {**current_log_context(), "job_id": id_}
    attempts = retries + 1
    error = ""
    for attempt in range(1, attempts + 1):
        # A fresh app context per attempt: the job gets its own flask.g, as it would on a worker.
        with app.app_context(), log_context(**context):
            try:
                resolve_func(path)(*args, **kwargs)
            except Exception as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                log.warning(
                    "inline job %s (%s) failed, attempt %d of %d",
                    id_,
                    path,
                    attempt,
                    attempts,
                    exc_info=True,
                )
                continue
        return JobRef(id=id_, queue=queue, status=JobStatus.FINISHED.value, created=True)
    with log_context(**context):
        log.error("inline job %s (%s) failed after %d attempts: %s", id_, path, attempts, error)
    _inline_failures(app).append(
        FailedJob(id=id_, func=path, queue=queue, error=error[:300], ended_at=utcnow())
    )
    return JobRef(id=id_, queue=queue, status=JobStatus.FAILED.value, created=True)


def _state(app: Flask) -> dict[str, Any]:
    return app.extensions.setdefault(_EXTENSION, {})


def _inline_failures(app: Flask) -> deque[FailedJob]:
    state = _state(app)
    if "inline_failures" not in state:
        state["inline_failures"] = deque(maxlen=INLINE_FAILURES_KEPT)
    return state["inline_failures"]
