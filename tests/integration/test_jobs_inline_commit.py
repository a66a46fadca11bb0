"""Inline mode (no REDIS_URL) on the database: jobs run in-process, only after the commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import services
from app.db import UnitOfWork
from app.jobs import enqueue_after_commit, failed_jobs, job_id
from app.shops import get_shop, install_shop
from tests.integration.jobs_fixtures import CALLS, count_call, fail_always, fail_times, set_shop_plan


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


def shop_plan(shop_id: int) -> str | None:
    with services().db.unit_of_work() as uow:
        return get_shop(uow, shop_id=shop_id).plan


def test_inline_job_runs_in_process_only_after_the_commit(app: Flask, uow: UnitOfWork) -> None:
    # given a shop, and a job enqueued in the same unit of work
    shop = install_shop(uow, domain="inline.myshopify.com")
    uow.session.flush()
    enqueue_after_commit(uow, set_shop_plan, shop.id, "wholesale", job_id=job_id("plan", shop.id))
    assert shop.plan is None

    # when the unit of work commits
    uow.commit()

    # then the job has run, in its own unit of work, and its change is committed
    assert shop_plan(shop.id) == "wholesale"


def test_inline_job_of_a_rolled_back_unit_of_work_never_runs(app: Flask) -> None:
    with services().db.unit_of_work() as setup:
        shop = install_shop(setup, domain="rollback.myshopify.com")
        setup.commit()

    with services().db.unit_of_work() as uow:
        enqueue_after_commit(uow, set_shop_plan, shop.id, "wholesale")
        uow.rollback()

    assert shop_plan(shop.id) is None


def test_inline_job_is_retried_until_it_succeeds(app: Flask, uow: UnitOfWork) -> None:
    enqueue_after_commit(uow, fail_times, "flaky", 3, retries=3)

    uow.commit()

    assert CALLS["flaky"] == 4
    assert failed_jobs() == []


def test_inline_job_gets_exactly_its_retry_count_then_is_failed(app: Flask, uow: UnitOfWork) -> None:
    enqueue_after_commit(uow, fail_always, "doomed", retries=1, job_id="doomed_1")

    uow.commit()  # the job's failure does not fail the commit that has already happened

    assert CALLS["doomed"] == 2
    assert [(f.id, f.error) for f in failed_jobs()] == [
        ("doomed_1", "RuntimeError: doomed failed on purpose")
    ]


def test_bad_job_options_fail_in_the_caller_before_the_commit(app: Flask, uow: UnitOfWork) -> None:
    with pytest.raises(ValueError, match="urgent"):
        enqueue_after_commit(uow, count_call, "misrouted", queue="urgent")
    with pytest.raises(LookupError, match="no_such_job"):
        enqueue_after_commit(uow, "tests.integration.jobs_fixtures.no_such_job")

    uow.commit()

    assert CALLS["misrouted"] == 0
