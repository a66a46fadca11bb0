"""The webhook inbox's periodic jobs are on the cron schedule: the sweeper every minute, the purge daily."""

from __future__ import annotations

from app.cron import PERIODIC_JOBS
from app.jobs import resolve_func


def test_the_sweeper_runs_every_minute_on_the_webhooks_queue_and_the_purge_daily() -> None:
    jobs = {job.func: (job.queue, job.cron, job.interval_s) for job in PERIODIC_JOBS}

    assert jobs["webhooks.jobs.sweep_inbox"] == ("webhooks", "* * * * *", None)
    assert jobs["webhooks.jobs.purge_inbox"] == ("default", "17 3 * * *", None)
    assert callable(resolve_func("webhooks.jobs.sweep_inbox")) and callable(
        resolve_func("webhooks.jobs.purge_inbox")
    )
