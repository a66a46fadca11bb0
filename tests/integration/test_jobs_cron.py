"""Periodic jobs through RQ's cron scheduler on the real Redis, with one leader at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from rq.job import Job

from app.cron import LEADER_KEY, PeriodicJob, build_scheduler
from tests.support import TEST_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
TRADELINE = Path(sys.executable).with_name("tradeline")
PROCESS_TIMEOUT_S = 30
FIXTURES = "tests.integration.jobs_fixtures"
EVERY_MINUTE = PeriodicJob(f"{FIXTURES}.count_call", queue="bulk", interval_s=60)


@pytest.fixture
def conn(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_scheduler_registers_periodic_jobs_by_dotted_name(conn: redis.Redis) -> None:
    scheduler = build_scheduler(conn, (EVERY_MINUTE,))

    [cron_job] = scheduler.get_jobs()
    assert (cron_job.name, cron_job.func_name, cron_job.queue_name, cron_job.interval) == (
        f"{FIXTURES}.count_call",
        f"{FIXTURES}.count_call",
        "bulk",
        60,
    )


def test_due_periodic_job_is_enqueued_once_on_its_queue(conn: redis.Redis) -> None:
    scheduler = build_scheduler(conn, (EVERY_MINUTE,))

    first = scheduler.enqueue_jobs()
    second = scheduler.enqueue_jobs()  # not due again for another minute

    assert (len(first), len(second)) == (1, 0)
    [job_id] = Queue("bulk", connection=conn).get_job_ids()
    assert Job.fetch(job_id, connection=conn).func_name == f"{FIXTURES}.count_call"


def test_cron_string_schedules_the_next_run_on_a_utc_ten_minute_boundary(conn: redis.Redis) -> None:
    scheduler = build_scheduler(
        conn, (PeriodicJob(f"{FIXTURES}.count_call", "default", cron="*/10 * * * *"),)
    )

    [cron_job] = scheduler.get_jobs()
    due = cron_job.next_enqueue_time
    assert due is not None and due.utcoffset() is not None and due.utcoffset().total_seconds() == 0
    assert (due.minute % 10, due.second) == (0, 0)
    assert scheduler.enqueue_jobs() == []


def test_periodic_job_on_an_unknown_queue_or_function_fails_at_start(conn: redis.Redis) -> None:
    with pytest.raises(ValueError, match="urgent"):
        build_scheduler(conn, (PeriodicJob(f"{FIXTURES}.count_call", "urgent", interval_s=60),))
    with pytest.raises(LookupError, match="no_such_job"):
        build_scheduler(conn, (PeriodicJob(f"{FIXTURES}.no_such_job", "default", interval_s=60),))


def test_only_one_scheduler_leads_and_a_standby_takes_over_when_it_stops(conn: redis.Redis) -> None:
    leader = build_scheduler(conn, (EVERY_MINUTE,))
    standby = build_scheduler(conn, (EVERY_MINUTE,))

    assert leader.acquire_leadership() is True
    assert standby.acquire_leadership() is False
    assert conn.get(LEADER_KEY) == leader.name.encode()

    leader.heartbeat()  # keeps the lock
    leader.register_death()

    assert standby.acquire_leadership() is True


def test_scheduler_that_lost_the_lock_stops(conn: redis.Redis) -> None:
    scheduler = build_scheduler(conn, (EVERY_MINUTE,))
    assert scheduler.acquire_leadership()
    conn.set(LEADER_KEY, "someone-else")

    with pytest.raises(StopRequested):
        scheduler.heartbeat()

    scheduler.register_death()
    assert conn.get(LEADER_KEY) == b"someone-else"


def test_the_shipped_config_registers_every_periodic_job_with_rq_cron(conn: redis.Redis) -> None:
    scheduler = build_scheduler(conn)

    assert [(job.func_name, job.queue_name, job.cron, job.interval) for job in scheduler.get_jobs()] == [
        ("app.auth.jobs.refresh_expiring_tokens", "default", "*/10 * * * *", None),
        ("webhooks.jobs.sweep_inbox", "webhooks", "* * * * *", None),
        ("webhooks.jobs.purge_inbox", "default", "17 3 * * *", None),
        ("webhooks.backfill.jobs.poll_bulk_operations", "default", None, 30),
        ("webhooks.reconcile.reconcile_all_shops", "default", "41 * * * *", None),
        ("segments.jobs.nightly_all_shops", "default", "23 2 * * *", None),
        ("pricing.jobs.sync_all_collections", "default", "23 4 * * *", None),
    ]


@pytest.fixture
def scheduler_env(redis_url: str, tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in TEST_SETTINGS}
    env.update({key: str(value) for key, value in TEST_SETTINGS.items() if isinstance(value, str)})
    env.update(
        REDIS_URL=redis_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.db'}",
        INSTANCE_PATH=str(tmp_path / "instance"),
        LOG_FORMAT="json",
        TZ="America/New_York",  # the command must switch to UTC itself
    )
    return env


@dataclass
class SchedulerProcess:
    proc: subprocess.Popen[bytes]
    log: Path

    def log_lines(self) -> list[dict[str, Any]]:
        text = self.log.read_text() if self.log.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def start_scheduler(
    scheduler_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[], SchedulerProcess]]:
    started: list[SchedulerProcess] = []

    def start() -> SchedulerProcess:
        log = tmp_path / f"scheduler-{len(started)}.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [str(TRADELINE), "scheduler"],
                cwd=ROOT,
                env=scheduler_env,
                stdout=subprocess.DEVNULL,
                stderr=sink,
                start_new_session=True,
            )
        started.append(SchedulerProcess(proc, log))
        return started[-1]

    yield start
    for process in started:
        if process.proc.poll() is None:
            os.killpg(process.proc.pid, signal.SIGKILL)
            process.proc.wait()


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {PROCESS_TIMEOUT_S} s")
        time.sleep(0.1)


def test_scheduler_command_leads_alone_and_releases_the_lock_on_sigterm(
    conn: redis.Redis, start_scheduler: Callable[[], SchedulerProcess]
) -> None:
    # given a running `tradeline scheduler`
    leader = start_scheduler()
    wait_for(lambda: conn.get(LEADER_KEY) is not None and len(CronScheduler.all(conn)) == 1)
    leader_name = conn.get(LEADER_KEY)
    assert [s.name.encode() for s in CronScheduler.all(conn)] == [leader_name]

    # when a second one starts, it stands by: the lock and the registered schedulers do not change
    standby = start_scheduler()
    wait_for(lambda: any("standing by" in line["msg"] for line in standby.log_lines()))
    assert conn.get(LEADER_KEY) == leader_name
    assert [s.name.encode() for s in CronScheduler.all(conn)] == [leader_name]

    # and the leader stops cleanly on SIGTERM and releases the lock
    leader.proc.send_signal(signal.SIGTERM)
    assert leader.proc.wait(timeout=PROCESS_TIMEOUT_S) == 0
    assert conn.get(LEADER_KEY) != leader_name  # released (the standby may already hold it)
    registered = "Registered 'app.auth.jobs.refresh_expiring_tokens' to run on default with cron schedule"
    assert f"{registered} '*/10 * * * *'" in [line["msg"] for line in leader.log_lines()]
