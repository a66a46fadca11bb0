"""Enqueueing on the real Redis: after commit only, one job per deterministic id, failures visible."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from rq import Queue
from rq.job import Job

from app import services
from app.db import UnitOfWork
from app.jobs import (
    QUEUES,
    enqueue,
    enqueue_after_commit,
    failed_jobs,
    job_id,
    queue_health,
    redis_connection,
)
from app.worker import TradelineSimpleWorker
from tests.integration.jobs_fixtures import CALLS, count_call, fail_always, fail_times

FIXTURES = "tests.integration.jobs_fixtures"


@pytest.fixture
def redis_app(app_config: dict[str, Any], redis_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app (each test in a SAVEPOINT) with jobs going to the real Redis."""
    app_config["REDIS_URL"] = redis_url
    CALLS.clear()
    yield request.getfixturevalue("app")
    CALLS.clear()


@pytest.fixture
def drain() -> Iterator[Any]:
    """Run every queued job in this process (a non-forking worker), keeping pytest's signal handlers."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def run(flask_app: Flask) -> None:
        worker = TradelineSimpleWorker(QUEUES, app=flask_app, connection=redis_connection(flask_app))
        worker.work(burst=True, with_scheduler=True)

    yield run
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def queued_ids(name: str = "default") -> list[str]:
    return Queue(name, connection=redis_connection()).get_job_ids()


def test_rolled_back_unit_of_work_enqueues_nothing(redis_app: Flask) -> None:
    # given a unit of work that enqueues, then rolls back
    with services().db.unit_of_work() as uow:
        enqueue_after_commit(uow, count_call, "rolled-back", job_id=job_id("count", "rolled-back"))
        uow.rollback()

    # then no queue holds a job and the id is unknown to Redis
    assert [queued_ids(name) for name in QUEUES] == [[], [], []]
    assert not Job.exists("count_rolled-back", connection=redis_connection())


def test_unit_of_work_left_without_commit_enqueues_nothing(redis_app: Flask) -> None:
    with services().db.unit_of_work() as uow:
        enqueue_after_commit(uow, count_call, "abandoned")

    assert queued_ids() == []


def test_committed_unit_of_work_enqueues_exactly_one_job(redis_app: Flask, uow: UnitOfWork) -> None:
    enqueue_after_commit(uow, count_call, "committed", job_id=job_id("count", "committed"))
    assert queued_ids() == []

    uow.commit()

    assert queued_ids() == ["count_committed"]
    job = Job.fetch("count_committed", connection=redis_connection())
    assert (job.func_name, job.args, job.get_status()) == (f"{FIXTURES}.count_call", ("committed",), "queued")
    assert (job.retries_left, job.retry_intervals) == (3, [10, 60, 300])


def test_same_job_id_twice_while_queued_is_one_job(redis_app: Flask) -> None:
    first = enqueue(count_call, "once", job_id="count_once")
    second = enqueue(count_call, "once", job_id="count_once")

    assert (first.created, second.created) == (True, False)
    assert second.status == "queued"
    assert queued_ids() == ["count_once"]


def test_same_job_id_from_two_committed_units_of_work_is_one_job(redis_app: Flask) -> None:
    for _ in range(2):
        with services().db.unit_of_work() as uow:
            enqueue_after_commit(uow, count_call, "twice", job_id="count_twice")
            uow.commit()

    assert queued_ids() == ["count_twice"]


def test_same_job_id_while_scheduled_is_one_scheduled_job(redis_app: Flask) -> None:
    enqueue(count_call, "later", job_id="count_later", delay=timedelta(minutes=5))
    again = enqueue(count_call, "later", job_id="count_later", delay=60)

    assert (again.created, again.status) == (False, "scheduled")
    registry = Queue("default", connection=redis_connection()).scheduled_job_registry
    assert registry.get_job_ids() == ["count_later"]
    assert queued_ids() == []


def test_job_runs_in_the_worker_app_context_and_a_finished_id_can_run_again(
    redis_app: Flask, drain: Any
) -> None:
    enqueue(count_call, "repeat", job_id="count_repeat")
    drain(redis_app)
    assert CALLS["repeat"] == 1

    again = enqueue(count_call, "repeat", job_id="count_repeat")
    drain(redis_app)

    assert again.created is True
    assert CALLS["repeat"] == 2


def test_failed_job_is_retried_then_listed_and_does_not_block_its_id(redis_app: Flask, drain: Any) -> None:
    # given a job that always fails, with two immediate retries
    enqueue(fail_always, "broken", queue="bulk", job_id="broken_1", retries=2, retry_intervals=[0])

    # when a worker drains the queues
    drain(redis_app)

    # then it ran three times and is listed as failed
    assert CALLS["broken"] == 3
    [failure] = failed_jobs()
    assert (failure.id, failure.func, failure.queue, failure.error) == (
        "broken_1",
        f"{FIXTURES}.fail_always",
        "bulk",
        "RuntimeError: broken failed on purpose",
    )
    assert failure.ended_at is not None and failure.ended_at.tzinfo is not None
    assert queue_health()["queues"]["bulk"]["failed"] == 1

    # and the same work can be enqueued again: the failed copy no longer holds the id
    again = enqueue(fail_times, "broken", 0, queue="bulk", job_id="broken_1")
    assert (again.created, again.status) == (True, "queued")
    assert failed_jobs() == []
    drain(redis_app)
    assert CALLS["broken"] == 4


def test_job_that_recovers_within_its_retries_is_not_failed(redis_app: Flask, drain: Any) -> None:
    enqueue(fail_times, "flaky", 2, job_id="flaky_1", retries=3, retry_intervals=[0])

    drain(redis_app)

    assert CALLS["flaky"] == 3
    assert Job.fetch("flaky_1", connection=redis_connection()).get_status() == "finished"
    assert failed_jobs() == []


def test_job_keyword_named_like_an_rq_option_reaches_the_job(redis_app: Flask, drain: Any) -> None:
    enqueue(f"{FIXTURES}.count_attempt_in_redis", "kw", ttl=7, job_id="kw_1")

    drain(redis_app)

    conn = redis_connection()
    assert (conn.get("test:attempts:kw"), conn.get("test:ttl:kw")) == (b"1", b"7")


def test_queue_health_counts_each_queue_in_one_round_trip(redis_app: Flask) -> None:
    enqueue(count_call, "a", queue="webhooks")
    enqueue(count_call, "b", queue="bulk")
    enqueue(count_call, "c", queue="bulk")
    enqueue(count_call, "d", queue="default", delay=600)

    assert queue_health() == {
        "mode": "redis",
        "ok": True,
        "workers": 0,
        "queues": {
            "webhooks": {"queued": 1, "started": 0, "scheduled": 0, "deferred": 0, "failed": 0},
            "default": {"queued": 0, "started": 0, "scheduled": 1, "deferred": 0, "failed": 0},
            "bulk": {"queued": 2, "started": 0, "scheduled": 0, "deferred": 0, "failed": 0},
        },
    }


def test_queue_health_reports_unreachable_redis(
    app_config: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    app_config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    request.getfixturevalue("app")

    assert queue_health() == {"mode": "redis", "ok": False, "error": "cannot reach Redis (ConnectionError)"}


def test_commit_succeeds_and_the_failure_is_logged_when_redis_is_down(
    app_config: dict[str, Any], request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    from app.shops import find_shop_by_domain, install_shop

    app_config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    request.getfixturevalue("app")

    with caplog.at_level(logging.ERROR, logger="app.jobs"), services().db.unit_of_work() as uow:
        install_shop(uow, domain="down.myshopify.com")
        enqueue_after_commit(uow, count_call, "lost", job_id="count_lost")
        uow.commit()

    with services().db.unit_of_work() as uow:
        assert find_shop_by_domain(uow, domain="down.myshopify.com") is not None
    [record] = [r for r in caplog.records if r.name == "app.jobs"]
    assert record.getMessage() == f"could not enqueue {FIXTURES}.count_call after commit (job id count_lost)"
    assert isinstance(record.exc_info[1], redis.ConnectionError)
