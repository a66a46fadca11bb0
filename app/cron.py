"""Periodic jobs, run by RQ's built-in cron scheduler (`tradeline scheduler`).

Cron strings are UTC (RQ 2.x evaluates them in UTC; `tradeline scheduler` also sets TZ=UTC so the
meaning survives an upgrade to RQ 3, which uses local time). RQ's cron has no leader election of its
own, so the scheduler here takes a Redis lock: a second `tradeline scheduler` waits on standby instead
of enqueueing everything twice. Periodic jobs must still be idempotent (a crash can repeat a run).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from app.jobs import QUEUES, resolve_func

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A job function (dotted path) enqueued on a cron schedule or at a fixed interval."""

    func: str
    queue: str
    cron: str | None = None
    interval_s: int | None = None
    timeout_s: int | None = None


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Expiring offline tokens last an hour: refresh the ones close to expiry well before they lapse.
    PeriodicJob("app.auth.jobs.refresh_expiring_tokens", queue="default", cron="*/10 * * * *"),
    # Webhook deliveries stored but never processed (Redis was down, a worker died) are re-enqueued.
    PeriodicJob("webhooks.jobs.sweep_inbox", queue="webhooks", cron="* * * * *"),
    # Processed webhook deliveries are kept 30 days (dedupe window and the webhook log), then deleted.
    PeriodicJob("webhooks.jobs.purge_inbox", queue="default", cron="17 3 * * *"),
    # Backfills whose bulk_operations/finish webhook is late or lost, or whose import worker died.
    PeriodicJob("webhooks.backfill.jobs.poll_bulk_operations", queue="default", interval_s=30),
    # Hourly: records changed in Shopify since the last run are compared and repaired (missed webhooks).
    PeriodicJob("webhooks.reconcile.reconcile_all_shops", queue="default", cron="41 * * * *"),
    # Nightly: RFM, CLV and churn recomputed for every shop (orders also trigger a debounced refresh).
    PeriodicJob("segments.jobs.nightly_all_shops", queue="default", cron="23 2 * * *"),
    # Daily: Shopify collections (for collection-wide price adjustments) mirrored for every shop.
    PeriodicJob("pricing.jobs.sync_all_collections", queue="default", cron="23 4 * * *"),
)

LEADER_KEY = "tradeline:cron:leader"
# RQ's cron loop sleeps at most 60 s between heartbeats; the lock outlives two missed beats.
LEADER_TTL_S = 150
STANDBY_POLL_S = 15
# Refresh the lock only if we still hold it; 0 means someone else does.
_REFRESH_SCRIPT = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("EXPIRE", KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_SCRIPT = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


class LeaderCronScheduler(CronScheduler):
    """RQ's cron scheduler that runs only while it holds the leader lock in Redis."""

    def acquire_leadership(self) -> bool:
        """Take the leader lock if nobody holds it."""
        return bool(self.connection.set(LEADER_KEY, self.name, nx=True, ex=LEADER_TTL_S))

    def heartbeat(self) -> None:
        super().heartbeat()
        if not self.connection.eval(_REFRESH_SCRIPT, 1, LEADER_KEY, self.name, LEADER_TTL_S):
            log.error("cron scheduler %s lost the leader lock; stopping, not enqueueing twice", self.name)
            raise StopRequested()

    def register_death(self, pipeline: redis.client.Pipeline | None = None) -> None:
        super().register_death(pipeline)
        self.connection.eval(_RELEASE_SCRIPT, 1, LEADER_KEY, self.name)


def build_scheduler(
    connection: redis.Redis, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS, logging_level: str = "INFO"
) -> LeaderCronScheduler:
    """A cron scheduler with `jobs` registered (each job function imported now, so a typo fails at start)."""
    scheduler = LeaderCronScheduler(connection=connection, logging_level=logging_level)
    scheduler.config_file = __name__
    for job in jobs:
        if job.queue not in QUEUES:
            raise ValueError(f"periodic job {job.func}: unknown queue {job.queue!r}")
        scheduler.register(
            resolve_func(job.func),
            job.queue,
            cron=job.cron,
            interval=job.interval_s,
            job_timeout=job.timeout_s,
            name=job.func,
        )
    return scheduler


def run_scheduler(connection: redis.Redis, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> None:
    """Wait for the leader lock, then enqueue periodic jobs on schedule until stopped."""
    scheduler = build_scheduler(connection, jobs, logging_level=logging.getLevelName(log.getEffectiveLevel()))
    while not scheduler.acquire_leadership():
        log.info("another cron scheduler holds %s; standing by", LEADER_KEY)
        time.sleep(STANDBY_POLL_S)
    log.info("cron scheduler %s is the leader; %d periodic job(s)", scheduler.name, len(jobs))
    scheduler.start()
