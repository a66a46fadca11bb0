"""Job plumbing without Redis or a database: ids, function names, inline mode, cron config, CLI options."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, g

from app import create_app
from app.cron import PERIODIC_JOBS
from app.jobs import QUEUES, enqueue, failed_jobs, func_path, job_id, queue_health
from app.ops import GUNICORN_ACCESS_FORMAT, gunicorn_options
from app.worker import parse_queues
from tests.integration import jobs_fixtures
from tests.integration.jobs_fixtures import CALLS, count_call, fail_always, fail_times
from tests.support import TEST_SETTINGS

FIXTURES = "tests.integration.jobs_fixtures"


@pytest.fixture
def inline_app(tmp_path: Path) -> Iterator[Flask]:
    """An app without REDIS_URL; these tests never touch its database."""
    flask_app = create_app(
        {
            **TEST_SETTINGS,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    CALLS.clear()
    jobs_fixtures.SEEN_CONTEXT.clear()
    with flask_app.app_context():
        yield flask_app
    CALLS.clear()


def test_job_id_joins_parts_deterministically() -> None:
    assert job_id("refresh-token", 42) == "refresh-token_42"
    assert job_id("sync", "acme.myshopify.com", 7) == job_id("sync", "acme.myshopify.com", 7)


def test_job_id_replaces_parts_rq_would_refuse_by_a_digest() -> None:
    domain_id = job_id("sync", "acme.myshopify.com")
    gid_id = job_id("customer", "gid://shopify/Customer/1")

    assert domain_id.startswith("sync_h") and len(domain_id) == len("sync_h") + 20
    assert gid_id != job_id("customer", "gid://shopify/Customer/2")
    # An underscore inside a part would blur the boundary between parts: it is digested too.
    assert job_id("a_b") != job_id("a", "b")


@pytest.mark.parametrize("parts", [(), ("",), tuple(["x" * 60] * 4)])
def test_job_id_rejects_empty_or_overlong_ids(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        job_id(*parts)


def test_enqueue_rejects_a_job_id_rq_would_refuse(inline_app: Flask) -> None:
    with pytest.raises(ValueError, match="only letters"):
        enqueue(count_call, "bad-id", job_id="count:1")

    assert CALLS["bad-id"] == 0


def test_func_path_names_module_level_functions() -> None:
    assert func_path(count_call) == f"{FIXTURES}.count_call"
    assert func_path("app.auth.jobs.refresh_expiring_tokens") == "app.auth.jobs.refresh_expiring_tokens"


@pytest.mark.parametrize("func", [lambda: None, "no_module", "trailing."])
def test_func_path_rejects_what_a_worker_could_not_import(func: object) -> None:
    with pytest.raises(ValueError):
        func_path(func)  # type: ignore[arg-type]


def test_inline_enqueue_runs_the_job_at_once_in_a_fresh_app_context(inline_app: Flask) -> None:
    g.marker = "caller"

    ref = enqueue(count_call, "now", job_id=job_id("count", "now"))

    assert (ref.id, ref.queue, ref.status, ref.created) == ("count_now", "default", "finished", True)
    assert CALLS["now"] == 1
    assert jobs_fixtures.SEEN_CONTEXT == [{"job_id": "count_now"}]
    assert g.marker == "caller"


def test_inline_enqueue_applies_the_retry_count_without_sleeping(inline_app: Flask) -> None:
    ref = enqueue(fail_times, "flaky", 2, retries=3, retry_intervals=[3600])

    assert ref.status == "finished"
    assert CALLS["flaky"] == 3
    assert failed_jobs() == []


def test_inline_job_failing_every_attempt_is_logged_and_listed(
    inline_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.jobs"):
        ref = enqueue(fail_always, "doomed", queue="bulk", retries=2, job_id="doomed_1")

    assert ref.status == "failed"
    assert CALLS["doomed"] == 3
    [failure] = failed_jobs()
    assert (failure.id, failure.func, failure.queue, failure.error) == (
        "doomed_1",
        f"{FIXTURES}.fail_always",
        "bulk",
        "RuntimeError: doomed failed on purpose",
    )
    assert [r.levelname for r in caplog.records if r.name == "app.jobs"] == ["WARNING"] * 3 + ["ERROR"]
    assert queue_health()["queues"]["bulk"]["failed"] == 1


def test_inline_scheduled_jobs_run_immediately(inline_app: Flask) -> None:
    enqueue(count_call, "later", delay=timedelta(hours=1))
    enqueue(count_call, "later", at=datetime.now(UTC) + timedelta(days=1))

    assert CALLS["later"] == 2


def test_inline_queue_health_reports_inline_mode(inline_app: Flask) -> None:
    health = queue_health()

    assert health == {
        "mode": "inline",
        "ok": True,
        "workers": 0,
        "queues": {
            name: {"queued": 0, "started": 0, "scheduled": 0, "deferred": 0, "failed": 0} for name in QUEUES
        },
    }


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"queue": "urgent"}, ValueError),
        ({"retries": -1}, ValueError),
        ({"at": datetime(2030, 1, 1)}, ValueError),  # noqa: DTZ001  (the naive datetime is the point)
        ({"at": datetime(2030, 1, 1, tzinfo=UTC), "delay": 5}, ValueError),
    ],
)
def test_enqueue_rejects_bad_options_and_runs_nothing(inline_app: Flask, kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        enqueue(count_call, "bad", **kwargs)

    assert CALLS["bad"] == 0


def test_enqueue_rejects_a_function_that_cannot_be_imported(inline_app: Flask) -> None:
    with pytest.raises(LookupError, match="no_such_job"):
        enqueue(f"{FIXTURES}.no_such_job")


def test_cron_config_lists_every_periodic_job() -> None:
    assert [(job.func, job.queue, job.cron, job.interval_s) for job in PERIODIC_JOBS] == [
        ("app.auth.jobs.refresh_expiring_tokens", "default", "*/10 * * * *", None),
        ("webhooks.jobs.sweep_inbox", "webhooks", "* * * * *", None),
        ("webhooks.jobs.purge_inbox", "default", "17 3 * * *", None),
        ("webhooks.backfill.jobs.poll_bulk_operations", "default", None, 30),
        ("webhooks.reconcile.reconcile_all_shops", "default", "41 * * * *", None),
        ("segments.jobs.nightly_all_shops", "default", "23 2 * * *", None),
        ("pricing.jobs.sync_all_collections", "default", "23 4 * * *", None),
    ]


def test_every_periodic_job_names_an_importable_function() -> None:
    import importlib

    for job in PERIODIC_JOBS:
        module, _, name = job.func.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), job.func


def test_worker_queues_default_to_all_in_priority_order() -> None:
    assert parse_queues(None) == ["webhooks", "default", "bulk"]
    assert parse_queues("bulk, webhooks") == ["bulk", "webhooks"]
    with pytest.raises(ValueError, match="urgent"):
        parse_queues("default,urgent")


def test_gunicorn_runs_without_access_log_by_default() -> None:
    assert gunicorn_options("0.0.0.0", 8000, 5, access_log=False) == {
        "bind": "0.0.0.0:8000",
        "workers": 5,
        "accesslog": None,
        "access_log_format": GUNICORN_ACCESS_FORMAT,
        "errorlog": "-",
        "proc_name": "tradeline-web",
        "preload_app": False,
    }


def test_gunicorn_runs_gthread_workers_when_given_threads() -> None:
    options = gunicorn_options("0.0.0.0", 8000, 3, access_log=False, threads=4)

    assert (options["worker_class"], options["threads"], options["workers"]) == ("gthread", 4, 3)
