"""A real `tradeline worker` process (forking RQ worker) runs jobs the app enqueued on the real Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq.job import Job

from app import services
from app.jobs import enqueue, enqueue_after_commit, failed_jobs, job_id, redis_connection
from app.shops import get_shop, install_shop
from tests.support import TEST_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
TRADELINE = Path(sys.executable).with_name("tradeline")
FIXTURES = "tests.integration.jobs_fixtures"
WORKER_TIMEOUT_S = 60
POLL_S = 0.2


@pytest.fixture
def worker_app(app_config: dict[str, Any], redis_url: str, request: pytest.FixtureRequest) -> Flask:
    """The app on real commits and the real Redis, so a worker process sees both."""
    app_config["REDIS_URL"] = redis_url
    return request.getfixturevalue("live_app")


@pytest.fixture
def worker_env(app_config: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """The environment of a worker process configured like the app under test."""
    env = {key: value for key, value in os.environ.items() if key not in TEST_SETTINGS}
    for key, value in {**TEST_SETTINGS, **app_config}.items():
        if value is None:
            continue
        env[key] = "1" if value is True else "0" if value is False else str(value)
    env.update(
        LOG_FORMAT="json",
        INSTANCE_PATH=str(tmp_path / "worker-instance"),
        # The job functions of these tests live in the tests package.
        PYTHONPATH=str(ROOT),
    )
    return env


def run_worker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TRADELINE), "worker", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT_S,
        check=False,
    )


@pytest.fixture
def running_worker(worker_env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A long-running worker (with its scheduler), stopped with SIGTERM at the end."""
    proc = subprocess.Popen(
        [str(TRADELINE), "worker"],
        cwd=ROOT,
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the scheduler child goes with it
    )
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=WORKER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


def wait_for(condition: Callable[[], bool], timeout_s: float = WORKER_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(POLL_S)


def log_lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def attempts(name: str) -> int:
    return int(redis_connection().get(f"test:attempts:{name}") or 0)


def test_worker_process_runs_a_job_enqueued_after_commit(
    worker_app: Flask, worker_env: dict[str, str]
) -> None:
    # given a committed shop and a job enqueued after the commit of a web request
    with services().db.unit_of_work() as uow:
        shop = install_shop(uow, domain="worker.myshopify.com")
        uow.commit()
    with worker_app.test_request_context("/", headers={"X-Request-Id": "req-from-web"}):
        worker_app.preprocess_request()
        with services().db.unit_of_work() as uow:
            enqueue_after_commit(
                uow, f"{FIXTURES}.set_shop_plan", shop.id, "wholesale", job_id=job_id("plan", shop.id)
            )
            uow.commit()

    # when a worker process drains the queues
    result = run_worker(worker_env, "--burst")

    # then the job ran in the worker and its write is committed
    assert result.returncode == 0, result.stderr
    with services().db.unit_of_work() as uow:
        assert get_shop(uow, shop_id=shop.id).plan == "wholesale"
    assert Job.fetch(f"plan_{shop.id}", connection=redis_connection()).get_status() == "finished"
    # and the worker's log lines for the job carry its id and the id of the request that enqueued it
    job_lines = [line for line in log_lines(result.stderr) if line.get("job_id") == f"plan_{shop.id}"]
    assert job_lines
    assert {line.get("request_id") for line in job_lines} == {"req-from-web"}


def test_worker_process_retries_a_failing_job_then_it_lands_in_the_failed_registry(
    worker_app: Flask, worker_env: dict[str, str]
) -> None:
    enqueue(
        f"{FIXTURES}.count_attempt_in_redis_then_fail",
        "boom",
        job_id="boom_1",
        retries=2,
        retry_intervals=[0],
    )

    result = run_worker(worker_env, "--burst")

    assert result.returncode == 0, result.stderr
    assert attempts("boom") == 3
    [failure] = failed_jobs()
    assert (failure.id, failure.func, failure.queue, failure.error) == (
        "boom_1",
        f"{FIXTURES}.count_attempt_in_redis_then_fail",
        "default",
        "RuntimeError: boom failed on purpose",
    )


def test_worker_process_works_only_the_queues_it_is_given(
    worker_app: Flask, worker_env: dict[str, str]
) -> None:
    enqueue(f"{FIXTURES}.count_attempt_in_redis", "bulk-job", queue="bulk")
    enqueue(f"{FIXTURES}.count_attempt_in_redis", "default-job", queue="default")

    result = run_worker(worker_env, "--burst", "--queues", "bulk")

    assert result.returncode == 0, result.stderr
    assert (attempts("bulk-job"), attempts("default-job")) == (1, 0)


def test_worker_scheduler_runs_delayed_jobs_and_retries_after_their_interval(
    worker_app: Flask, running_worker: subprocess.Popen[str]
) -> None:
    # given a job due in a second, and a failing job whose one retry waits a second
    enqueue(f"{FIXTURES}.count_attempt_in_redis", "delayed", delay=1)
    enqueue(f"{FIXTURES}.count_attempt_in_redis_then_fail", "late-retry", retries=1, retry_intervals=[1])

    # then the worker's scheduler enqueues both when due, and the failing job fails after its retry
    wait_for(lambda: attempts("delayed") == 1 and len(failed_jobs()) == 1)
    assert attempts("late-retry") == 2
    assert running_worker.poll() is None

    running_worker.send_signal(signal.SIGTERM)
    running_worker.communicate(timeout=WORKER_TIMEOUT_S)
    assert running_worker.returncode == 0


def test_worker_refuses_to_start_without_redis(worker_env: dict[str, str]) -> None:
    env = {**worker_env, "REDIS_URL": ""}

    result = run_worker(env, "--burst")

    assert result.returncode == 1
    assert "REDIS_URL is not set" in result.stderr
