"""The RQ worker: one app per worker process, every job inside its app context."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import redis
from flask import Flask
from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from app.jobs import QUEUES
from app.logging_setup import log_context

log = logging.getLogger(__name__)


class AppContextJobs:
    """Run each job inside the app context of the app the worker was built with."""

    app: Flask

    def perform_job(self, job: Job, queue: Queue) -> bool:
        request_id = (job.meta or {}).get("request_id")
        with self.app.app_context(), log_context(job_id=job.id, request_id=request_id):
            try:
                return super().perform_job(job, queue)  # type: ignore[misc]
            finally:
                if self.is_horse:  # type: ignore[attr-defined]
                    # The horse ends with os._exit(): close its connections cleanly rather than drop them.
                    self.app.extensions["tradeline"].db.dispose()


class TradelineWorker(AppContextJobs, Worker):
    """A forking RQ worker: the app is built once per worker process, each job runs in a forked horse.

    In the horse the database engine is re-created lazily (`app.db.Database` notices the new pid) and
    disposed when the job ends, so no connection is ever shared between processes.
    """

    def __init__(self, queues: Sequence[str], *, app: Flask, **kwargs: Any) -> None:
        super().__init__(list(queues), **kwargs)
        self.app = app


class TradelineSimpleWorker(AppContextJobs, SimpleWorker):
    """The same worker without forking: jobs run in this process (debugging, in-process tests)."""

    def __init__(self, queues: Sequence[str], *, app: Flask, **kwargs: Any) -> None:
        super().__init__(list(queues), **kwargs)
        self.app = app


def parse_queues(value: str | None) -> list[str]:
    """Queue names from a comma-separated option, in priority order; all queues when empty."""
    if not value:
        return list(QUEUES)
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        raise ValueError(f"unknown queue(s) {', '.join(unknown) or value!r}; queues are {', '.join(QUEUES)}")
    return names


def run_worker(
    app: Flask,
    queues: Sequence[str] = QUEUES,
    *,
    burst: bool = False,
    with_scheduler: bool = True,
    name: str | None = None,
) -> bool:
    """Work the queues (highest priority first) until stopped, or until empty with `burst`."""
    settings = app.extensions["tradeline"].settings
    if settings.jobs_inline:
        raise RuntimeError("REDIS_URL is not set: jobs run inline in the web process; no queue to work")
    connection = redis.Redis.from_url(settings.REDIS_URL)
    worker = TradelineWorker(queues, app=app, connection=connection, name=name)
    log.info("worker %s starting on %s (scheduler %s)", worker.name, ", ".join(queues), with_scheduler)
    # The scheduler moves due jobs (enqueue at/in, Retry intervals) onto their queues; RQ holds a lock
    # per queue, so every worker can run one safely.
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=settings.LOG_LEVEL)
